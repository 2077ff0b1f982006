package main
import (
 _ "github.com/spf13/cobra"
 _ "github.com/fatih/color"
 _ "google.golang.org/grpc"
 _ "google.golang.org/protobuf/proto"
 _ "golang.org/x/oauth2"
 _ "golang.org/x/sync/errgroup"
 _ "sigs.k8s.io/yaml"
)
func main(){}
