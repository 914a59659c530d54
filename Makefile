# ozgo: `make demo` starts the demo, `make test` runs every test.

GO ?= go

.PHONY: demo test build bench fuzz clean

demo:
	$(GO) run ./cmd/ozgo demo

test:
	./scripts/test.sh

build:
	$(GO) build -o bin/ozgo ./cmd/ozgo

# Speed and memory targets live in benchmarks, not in timed tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Run each fuzz target for a while (FUZZTIME=30s by default).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
