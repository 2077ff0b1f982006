# flytedoctor build, test and tooling. Everything it needs comes from the Go module
# proxy or Debian apt and is cached under ~/.cache/flytedoctor.

SHELL        := /bin/bash
GO           ?= go
CACHE        ?= $(HOME)/.cache/flytedoctor
TOOLBIN      := $(CACHE)/bin
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -X github.com/flytedoctor/flytedoctor/cmd/internal/cli.version=$(VERSION)

STATICCHECK_VERSION := v0.8.2

.PHONY: all build test unit bench profile profile-binary fuzz lint demo clean stack-up stack-down

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/flytedoctor ./cmd/flytedoctor

STACK_DIR    ?= /tmp/flytedoctor-stack
export STACK_DIR

## test: everything CI runs: vet, then all tests, with a real kube-apiserver+etcd, a real
## S3 server (versitygw) and two real registries (Debian's docker-registry, anonymous and
## htpasswd) started here and stopped after.
# with_stack runs a command with the stack's environment and stops the stack afterwards.
with_stack = scripts/stack/stack-up.sh kube s3 registry >/dev/null && \
	set -a && . "$(STACK_DIR)/env.sh" && set +a && \
	{ $(1); rc=$$?; scripts/stack/stack-down.sh >/dev/null 2>&1 || true; exit $$rc; }

# chromium renders the HTML report in a real browser (report's TestHTMLInBrowser); with
# FLYTEDOCTOR_REQUIRE_BROWSER set, that test fails rather than skips when it is missing.
test:
	@scripts/apt-install.sh libxml2-utils chromium fonts-dejavu-core
	$(GO) vet ./...
	$(call with_stack,FLYTEDOCTOR_REQUIRE_BROWSER=1 $(GO) test -count=1 ./...)

## stack-up / stack-down: the test servers alone, for running go test by hand
## (then: set -a; . /tmp/flytedoctor-stack/env.sh; set +a; go test ./...).
stack-up:
	scripts/stack/stack-up.sh kube s3 registry
stack-down:
	scripts/stack/stack-down.sh

## unit: go test alone, no tool installs.
unit:
	$(GO) test ./...

## bench: the Admin collector against the fake Admin with 10 ms per call, the Kubernetes
## collector against the real apiserver, the whole run at 20 ms a call on every layer
## (BenchmarkRunLatency), and the binary's peak RSS.
bench:
	@scripts/apt-install.sh time
	$(call with_stack,$(GO) test -p 1 -run '^$$' -bench . -benchtime 5x -benchmem ./collectors/flyteadmin/ ./collectors/kube/ ./collectors/s3/ ./rules/ ./cmd/internal/cli/ ./cmd/flytedoctor/)

## profile: CPU profile of zero-latency runs of the 1,000-children case (the pattern once
## matched the 10,000-node case too)
## (go tool pprof -top bin/cli.test bin/cpu.pprof).
profile:
	@mkdir -p bin
	$(call with_stack,FLYTEDOCTOR_BENCH_RTT=0 $(GO) test -p 1 -run '^$$' -bench 'BenchmarkRunLatency/1000-children' -benchtime 20x -cpuprofile bin/cpu.pprof -o bin/cli.test ./cmd/internal/cli/ && $(GO) tool pprof -top -nodecount 25 bin/cli.test bin/cpu.pprof)

## profile-binary: CPU profile of the binary's own zero-latency 1,000-node run, every collector on
## (BenchmarkProfileRun: main() in the test binary, the fake Admin outside it), 100 runs.
profile-binary:
	@rm -rf bin/profile-binary && mkdir -p bin/profile-binary
	$(call with_stack,FLYTEDOCTOR_PROFILE_DIR=$(CURDIR)/bin/profile-binary $(GO) test -p 1 -run '^$$' -bench BenchmarkProfileRun -benchtime 100x ./cmd/flytedoctor/ && $(GO) tool pprof -top -nodecount 25 bin/profile-binary/*.pprof)

## fuzz: every native fuzz target (func FuzzXxx, found with go test -list) for FUZZTIME each,
## one go test -fuzz per target; a crasher lands in the package's testdata/fuzz. The seed corpora
## there run with every go test, so make test runs them too.
FUZZTIME     ?= 30s
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

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
