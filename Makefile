# flytedoctor build, test and tooling. Everything it needs comes from the Go module
# proxy or Debian apt and is cached under ~/.cache/flytedoctor.

SHELL        := /bin/bash
GO           ?= go
CACHE        ?= $(HOME)/.cache/flytedoctor
TOOLBIN      := $(CACHE)/bin
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -X github.com/flytedoctor/flytedoctor/cmd/internal/cli.version=$(VERSION)

PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
STATICCHECK_VERSION        := v0.8.2

.PHONY: all build test unit bench proto proto-check lint demo tools clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/flytedoctor ./cmd/flytedoctor

## test: everything CI runs: generated code is fresh, vet, then all tests.
test: proto-check
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## unit: go test alone, no tool installs.
unit:
	$(GO) test ./...

## bench: the Admin collector against the fake Admin with 10 ms per call.
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 5x -benchmem ./collectors/flyteadmin/ ./cmd/flytedoctor/

tools:
	@mkdir -p $(TOOLBIN)
	@test -x $(TOOLBIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION) || \
	  (GOBIN=$(TOOLBIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION) && \
	   mv $(TOOLBIN)/protoc-gen-go $(TOOLBIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION))
	@test -x $(TOOLBIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) || \
	  (GOBIN=$(TOOLBIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION) && \
	   mv $(TOOLBIN)/protoc-gen-go-grpc $(TOOLBIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION))
	@command -v protoc >/dev/null || scripts/apt-install.sh protobuf-compiler

## proto: regenerate collectors/flyteadmin/idl/gen from collectors/flyteadmin/idl/protos.
proto: tools
	PROTOC_GEN_GO=$(TOOLBIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
	PROTOC_GEN_GO_GRPC=$(TOOLBIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) \
	  scripts/proto-gen.sh collectors/flyteadmin/idl/gen

## proto-check: fail when the committed generated code is stale.
proto-check: tools
	PROTOC_GEN_GO=$(TOOLBIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
	PROTOC_GEN_GO_GRPC=$(TOOLBIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION) \
	  scripts/proto-check.sh

lint:
	@test -x $(TOOLBIN)/staticcheck-$(STATICCHECK_VERSION) || \
	  (mkdir -p $(TOOLBIN) && GOBIN=$(TOOLBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) && \
	   mv $(TOOLBIN)/staticcheck $(TOOLBIN)/staticcheck-$(STATICCHECK_VERSION))
	$(GO) vet ./...
	$(TOOLBIN)/staticcheck-$(STATICCHECK_VERSION) ./...

demo: build
	bin/flytedoctor demo

clean:
	rm -rf bin
