# runo: build, test and benchmark. `make test` is what CI runs.
GO      ?= go
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/runo-runtime/runo/commands.Commit=$(COMMIT)
SOURCES := $(shell find . -name '*.go' -not -path './build/*') go.mod go.sum
BATS    ?= bats
# encoding/json on json/v2: its decoding of config.json costs half as much
# (runo run: -1.5 ms of ~18 measured); error offsets are exact.
export GOEXPERIMENT := jsonv2

.PHONY: all deps demo install test unit integration e2e test-vm conformance conformance-vm vm-images vm-all stress fuzz bench bench-criu clean

all: runo build/man build/completion

# Man pages, from the command line's own definitions.
build/man: $(SOURCES)
	rm -rf $@ && $(GO) run ./commands/mkman $@

# Shell completion scripts, from runo itself.
build/completion: runo
	mkdir -p $@
	./runo completion bash > $@/runo.bash
	./runo completion zsh > $@/_runo
	./runo completion fish > $@/runo.fish

# Static, libseccomp linked in: `runo init` starts without a dynamic loader.
runo: $(SOURCES) | deps
	CGO_ENABLED=1 $(GO) build -trimpath -tags "netgo osusergo" \
		-ldflags "$(LDFLAGS) -linkmode external -extldflags -static" -o $@ .

# Installs the Debian packages the tests and the demo need, when missing.
deps:
	@tests/deps.sh

build/rootfs: tests/mkrootfs.sh
	tests/mkrootfs.sh $@

build/bundle: runo build/rootfs
	rm -rf $@ && mkdir -p $@ && cp -a build/rootfs $@/rootfs
	./runo spec --bundle $@
	jq '.process.terminal = false | .process.args = ["sh", "-c", "echo hello from $$(hostname), pid $$$$; cat /proc/self/cgroup | head -3"]' \
		$@/config.json > $@/config.tmp && mv $@/config.tmp $@/config.json

# Builds runo and runs a busybox container from a fresh bundle.
demo: deps runo build/bundle
	./runo run --bundle build/bundle demo-$$$$

test: deps unit integration e2e

unit:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# The other end of runo's sockets and terminals: a receiver of
# --pidfd-socket and --console-socket messages, and a terminal user.
build/peer: tests/peer/main.go
	CGO_ENABLED=0 $(GO) build -o $@ ./tests/peer

integration: runo build/rootfs build/peer build/man
	$(BATS) --timing tests/integration

# runo under containerd (and the other engines), end to end.
e2e: deps runo build/rootfs build/peer
	E2E=1 tests/deps.sh
	$(BATS) --timing tests/e2e

# runo's whole suite inside a guest with systemd as PID 1 and pure cgroup
# v2 (tests/vm: QEMU, no KVM needed; images built once), in two guests at
# once (each keeps about one CPU busy), then the systemd and cgroup v1 tests
# in the same guest booted with cgroup v1; the second guest then runs the
# rootless lane (tests/vm/rootless.bats: rootless podman in a user session,
# with runo, runc and crun).
VM_ENV = V2VM_PACKAGES="criu iptables podman xz-utils containerd slirp4netns fuse-overlayfs dbus-user-session passt catatonit" V2VM_TIMEOUT=2700
VM_LANE1 = crash mounts errors process attacks cgroups_v2 exec
VM_LANE2 = $(filter-out $(VM_LANE1),$(basename $(notdir $(wildcard tests/integration/*.bats))))
test-vm: runo build/rootfs build/peer
	$(VM_ENV) tests/vm/setup.sh
	tests/vm/lanes.sh \
		'$(VM_ENV) tests/vm/run.sh tests/vm/test-vm.sh --smoke $(VM_LANE1:%=tests/integration/%.bats); rc=$$?; \
			$(VM_ENV) V2VM_APPEND="systemd.unified_cgroup_hierarchy=0" tests/vm/run.sh \
			tests/vm/test-vm.sh tests/integration/systemd.bats tests/integration/cgroups.bats || rc=1; exit $$rc' \
		'$(VM_ENV) tests/vm/run.sh tests/vm/then.sh "tests/vm/test-vm.sh $(VM_LANE2:%=tests/integration/%.bats)" \
			"bats --tap --timing tests/vm/rootless.bats"'

# runc's own integration suite (runc v1.5.1's, from its Go module) against
# ./runo; tests/conformance/expected-failures lists what may fail and why.
conformance: deps runo
	tests/conformance/run.sh

# runc's cgroup, update, events, delete, kill and cgroup delegation tests
# in the guest (the host has no pure cgroup v2 or systemd), from the suite
# make conformance fetched and built: the cgroupfs driver in one guest, the
# systemd one in another, at once. Then its checkpoint tests (CRIU fails on
# this host's kernel) with both drivers in one guest.
VM_CONFORMANCE = cgroups.bats update.bats events.bats delete.bats kill.bats cgroup_delegation.bats
conformance-vm: runo
	$(VM_ENV) tests/vm/setup.sh
	tests/vm/lanes.sh \
		'$(VM_ENV) tests/vm/run.sh tests/vm/conformance.sh cgroupfs $(VM_CONFORMANCE)' \
		'$(VM_ENV) tests/vm/run.sh tests/vm/conformance.sh systemd $(VM_CONFORMANCE)'
	$(VM_ENV) V2VM_TIMEOUT=1200 tests/vm/run.sh tests/vm/conformance.sh checkpoint.bats

# The guest's images (tests/vm/setup.sh; kept once built).
vm-images:
	$(VM_ENV) tests/vm/setup.sh

# make test-vm and make conformance-vm in one schedule of two guests, as
# .ci/run runs them (after make conformance, which fetches runc's suite):
# each runs half of runo's suite, then runc's tests with one driver (with
# cgroupfs, the cgroups, update and events files: runo's cgroups_v2.bats
# covers delete and kill there); the first then runs runc's checkpoint tests
# with both drivers, the second the rootless lane and then runo's cgroup v1
# files in a guest booted with cgroup v1.
VM_ALL_B = crash mounts errors attacks cgroups_v2 security
# What does not depend on the host (no cgroup, systemd, kernel or CRIU
# difference reaches it) runs on the host only.
VM_HOST_ONLY = docs process terminal fds hooks
VM_ALL_A = $(filter-out $(VM_ALL_B) $(VM_HOST_ONLY),$(basename $(notdir $(wildcard tests/integration/*.bats))))
vm-all: runo build/rootfs build/peer vm-images
	tests/vm/lanes.sh \
		'$(VM_ENV) V2VM_TIMEOUT=3600 tests/vm/run.sh tests/vm/then.sh \
			"tests/vm/test-vm.sh $(VM_ALL_A:%=tests/integration/%.bats)" \
			"tests/vm/conformance.sh cgroupfs cgroups.bats update.bats events.bats" \
			"tests/vm/conformance.sh checkpoint.bats"' \
		'$(VM_ENV) V2VM_TIMEOUT=3600 tests/vm/run.sh tests/vm/then.sh \
			"tests/vm/test-vm.sh --podman $(VM_ALL_B:%=tests/integration/%.bats)" \
			"tests/vm/conformance.sh systemd $(VM_CONFORMANCE)" \
			"bats --tap --timing tests/vm/rootless.bats"; rc=$$?; \
			$(VM_ENV) V2VM_APPEND="systemd.unified_cgroup_hierarchy=0" tests/vm/run.sh \
			tests/vm/test-vm.sh tests/integration/systemd.bats tests/integration/cgroups.bats || rc=1; exit $$rc'

# The crash and leak tests at length: runo killed at 34 moments of each
# command, 8 loops of 100 lifecycles, 1000 lifecycles counted for leaks.
stress: deps runo build/rootfs
	CRASH_DELAYS="$$(seq -s ' ' 0 0.001 0.03) 0.05 0.1 0.2" CRASH_LOOPS=100 LEAK_CYCLES=1000 \
		$(BATS) --timing tests/integration/crash.bats tests/integration/leaks.bats

# The fuzz targets at length; `make test` runs their seed corpus.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz=FuzzParseSpec -fuzztime=$(FUZZTIME) ./libcontainer
	$(GO) test -run '^$$' -fuzz=FuzzParseMountOptions -fuzztime=$(FUZZTIME) ./libcontainer

bench: deps runo build/rootfs
	tests/bench.sh

# Checkpoint and restore beside runc, in the guest, where CRIU works.
bench-criu: runo build/rootfs build/peer
	V2VM_PACKAGES="criu iptables podman xz-utils containerd" tests/vm/setup.sh
	V2VM_PACKAGES="criu iptables podman xz-utils containerd" tests/vm/run.sh tests/vm/criu-bench.sh

# Installs the binary where the engines' examples in README.md expect it.
PREFIX ?= /usr/local
install: runo build/man build/completion
	install -D -m 0755 runo $(DESTDIR)$(PREFIX)/bin/runo
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 build/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -D -m 0644 build/completion/runo.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/runo
	install -D -m 0644 build/completion/_runo $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_runo
	install -D -m 0644 build/completion/runo.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/runo.fish

clean:
	rm -rf runo build
