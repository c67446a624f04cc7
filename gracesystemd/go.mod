module github.com/gracekit/grace/gracesystemd

go 1.26

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/gracekit/grace v0.0.0
	go.uber.org/goleak v1.3.0
)

require golang.org/x/sys v0.1.0 // indirect

replace github.com/gracekit/grace => ../
