module github.com/gracekit/grace/bench

go 1.26.0

require (
	github.com/cloudflare/tableflip v1.2.3
	github.com/gracekit/grace v0.0.0
	github.com/gracekit/grace/gracefx v0.0.0
	github.com/oklog/run v1.2.0
	go.uber.org/fx v1.24.0
	go.uber.org/goleak v1.3.0
)

require (
	go.uber.org/dig v1.19.0 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.26.0 // indirect
	golang.org/x/sys v0.0.0-20220412211240-33da011f77ad // indirect
)

replace (
	github.com/gracekit/grace => ../
	github.com/gracekit/grace/gracefx => ../gracefx
)
