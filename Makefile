# The two commands: `make test` (every module: vet for linux/darwin/windows, go test -race,
# go mod tidy diff; installs and starts what the tests need) and `make demo`.
.PHONY: test bench demo services-up services-down
test:
	./scripts/test
bench:
	./scripts/bench
demo:
	./scripts/demo
