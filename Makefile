# acikit: build, test, demo and benchmark the five tools.
#
#   make            all tools into ./bin (trimmed paths, version stamped)
#   make actool     one tool (likewise acsign, acfetch, acrun, docker2aci)
#   make test       the whole suite and a short fuzz pass (installs its Debian packages as root)
#   make demo       the user story: build, sign, trust, serve, fetch, run hello
#   make bench      benchmarks against the baselines named in docs/benchmarks.md
#   make fuzz       every fuzz target briefly (FUZZTIME, default 10s each)
#   make lint       gofmt and go vet
#   make install    copy the tools to $(PREFIX)/bin (acrun-init to $(PREFIX)/libexec/acikit)
#   make cni        the CNI plugins acrun calls, built from a pinned release

SHELL      := /bin/bash
TOOLS      := actool acsign acfetch acrun docker2aci
MODULES    := internal $(TOOLS)
PKGS       := $(addsuffix /...,$(addprefix ./,$(MODULES)))
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X github.com/acikit/acikit/internal/cli.Version=$(VERSION)
# urfave_cli_no_docs leaves out the CLI library's man-page generator, whose
# package init every start of a tool would pay for.
GOFLAGS_B  := -trimpath -tags urfave_cli_no_docs -ldflags '$(LDFLAGS)'
PREFIX     ?= /usr/local
BIN        := $(CURDIR)/bin
CACHE      := $(CURDIR)/.cache
FUZZTIME   ?= 10s
# make test counts executions rather than seconds: with a duration, Go 1.26's
# fuzz coordinator can fail a target with "context deadline exceeded" as the
# time runs out on a loaded machine (golang/go#75804, fixed in Go 1.27).
TEST_FUZZTIME ?= 1000x
TESTFLAGS  ?= -count=1 -timeout 75m -p 2
# Under CI every test that would skip for a missing requirement (root, gpg, a
# netns, an apt tool) fails instead, so a green run means they all ran.
ifneq ($(CI),)
export ACIKIT_REQUIRE_ALL := 1
endif
export CGO_ENABLED := 0

# The CNI plugins acrun calls, built from the version internal/go.mod pins
# (its tool lines); CNI_VERSION only names it in messages.
CNI_VERSION := v1.10.0
CNI_PLUGINS := loopback ptp bridge host-local portmap
CNI_DIR     := $(BIN)/cni

# Debian packages the tests and the demo use.
APT_TEST := gnupg busybox-static skopeo umoci docker-registry bzip2 xz-utils zstd \
            crun iptables iproute2 apache2-utils python3 gcc libc6-dev
APT_DEMO := gnupg gcc libc6-dev python3 iptables iproute2
APT_BENCH := $(APT_TEST) hyperfine pigz curl

.PHONY: all $(TOOLS) acrun-init test demo bench fuzz lint install cni clean apt-test apt-demo apt-bench

all: $(TOOLS)

$(TOOLS):
	@mkdir -p $(BIN)
	cd $@ && go build $(GOFLAGS_B) -o $(BIN)/$@ .

# acrun's pod init and app setup helper, found beside acrun (or in libexec).
acrun: acrun-init
acrun-init:
	@mkdir -p $(BIN)
	cd acrun && go build $(GOFLAGS_B) -o $(BIN)/acrun-init ./cmd/acrun-init

# apt_need installs the missing packages among $(1) when run as root, and says
# so on stderr; as another user it only names them (tests then skip).
define apt_need
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing Debian packages:$$missing" >&2; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
	        --no-install-recommends $$missing; } >&2 || exit 1; \
	  else echo "make: missing Debian packages:$$missing (run as root to install them)" >&2; fi; \
	fi
endef

apt-test:
	$(call apt_need,$(APT_TEST))
apt-demo:
	$(call apt_need,$(APT_DEMO))
apt-bench:
	$(call apt_need,$(APT_BENCH))

cni:
	@mkdir -p $(CNI_DIR)
	@for p in $(CNI_PLUGINS); do \
	  [ -x $(CNI_DIR)/$$p ] && continue; \
	  echo "make: building CNI plugin $$p $(CNI_VERSION)" >&2; \
	  (cd internal && go build -trimpath -o $(CNI_DIR)/$$p \
	    github.com/containernetworking/plugins/plugins/$$(case $$p in \
	      loopback) echo main/loopback;; ptp) echo main/ptp;; bridge) echo main/bridge;; \
	      host-local) echo ipam/host-local;; portmap) echo meta/portmap;; esac)) || exit 1; \
	done

# The suite, then every fuzz target briefly (their seed corpora already ran
# as ordinary tests).
test: apt-test all cni
	ACIKIT_BIN=$(BIN) ACIKIT_CNI_PATH=$(CNI_DIR) go test $(TESTFLAGS) $(PKGS)
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

demo: apt-demo all cni
	BIN=$(BIN) CNI_PATH=$(CNI_DIR) bash testdata/demo/demo.sh

bench: apt-bench all
	BIN=$(BIN) bash testdata/bench/bench.sh

# Each fuzz target runs alone (go test allows one -fuzz pattern per package).
fuzz:
	@set -e; for dir in $(MODULES); do \
	  for pkg in $$(cd $$dir && go list ./...); do \
	    pdir=$$(cd $$dir && go list -f '{{.Dir}}' $$pkg); \
	    for fn in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' $$pdir/*_test.go 2>/dev/null | cut -c6-); do \
	      echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	      (cd $$pdir && go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) .) || exit 1; \
	    done; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(PKGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0755 $(addprefix $(BIN)/,$(TOOLS)) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/libexec/acikit
	install -m 0755 $(BIN)/acrun-init $(DESTDIR)$(PREFIX)/libexec/acikit/
	for t in $(TOOLS); do \
	  install -m 0644 internal/cli/contrib/acikit.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; \
	done
	install -m 0644 internal/cli/contrib/_acikit $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_acikit

clean:
	rm -rf $(BIN) $(CACHE)/demo
