package storage

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/internal/growth"
)

func TestStorageLinear(t *testing.T) {
	for _, u := range append(Seeds(), "s3://b/", "when calling the GetObject operation", "User: arn:aws:x ") {
		growth.AssertLinear(t, "classify", u, func(s string) { classify(s) })
	}
}
