# runo: build, test and benchmark. `make test` is what CI runs.
GO      ?= go
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/runo-runtime/runo/commands.Commit=$(COMMIT)
SOURCES := $(shell find . -name '*.go' -not -path './build/*') go.mod go.sum
BATS    ?= bats

.PHONY: all deps demo test unit integration bench clean

all: runo

# Static and cgo-free: `runo init` starts without a dynamic loader.
runo: $(SOURCES)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $@ .

# Installs the Debian packages the tests and the demo need, when missing.
deps:
	@tests/deps.sh

build/rootfs: tests/mkrootfs.sh
	tests/mkrootfs.sh $@

build/bundle: runo build/rootfs
	rm -rf $@ && mkdir -p $@ && cp -a build/rootfs $@/rootfs
	./runo spec --bundle $@
	jq '.process.args = ["sh", "-c", "echo hello from $$(hostname), pid $$$$; cat /proc/self/cgroup | head -3"]' \
		$@/config.json > $@/config.tmp && mv $@/config.tmp $@/config.json

# Builds runo and runs a busybox container from a fresh bundle.
demo: deps runo build/bundle
	./runo run --bundle build/bundle demo-$$$$

test: deps unit integration

unit:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

integration: runo build/rootfs
	$(BATS) --timing tests/integration

bench: deps runo build/rootfs
	tests/bench.sh

clean:
	rm -rf runo build
