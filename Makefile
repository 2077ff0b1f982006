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

.PHONY: all build test unit bench proto proto-check lint demo tools clean stack-up stack-down

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/flytedoctor ./cmd/flytedoctor

STACK_DIR    ?= /tmp/flytedoctor-stack
export STACK_DIR

## test: everything CI runs: generated code is fresh, vet, then all tests, with a real
## kube-apiserver+etcd and a real S3 server (versitygw) started here and stopped after.
# with_stack runs a command with the stack's environment and stops the stack afterwards.
with_stack = scripts/stack/stack-up.sh kube s3 >/dev/null && \
	set -a && . "$(STACK_DIR)/env.sh" && set +a && \
	{ $(1); rc=$$?; scripts/stack/stack-down.sh >/dev/null 2>&1 || true; exit $$rc; }

test: proto-check
	$(GO) vet ./...
	$(call with_stack,$(GO) test -count=1 ./...)

## stack-up / stack-down: the test servers alone, for running go test by hand
## (then: set -a; . /tmp/flytedoctor-stack/env.sh; set +a; go test ./...).
stack-up:
	scripts/stack/stack-up.sh kube s3
stack-down:
	scripts/stack/stack-down.sh

## unit: go test alone, no tool installs.
unit:
	$(GO) test ./...

## bench: the Admin collector against the fake Admin with 10 ms per call, the Kubernetes
## collector against the real apiserver, and the binary's peak RSS.
bench:
	@scripts/apt-install.sh time
	$(call with_stack,$(GO) test -p 1 -run '^$$' -bench . -benchtime 5x -benchmem ./collectors/flyteadmin/ ./collectors/kube/ ./collectors/s3/ ./rules/ ./cmd/flytedoctor/)

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
