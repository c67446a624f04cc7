module github.com/gracekit/grace/cmd/graceplan

go 1.26

require (
	github.com/gracekit/grace v0.0.0
	go.yaml.in/yaml/v3 v3.0.4
)

require (
	github.com/kr/pretty v0.1.0 // indirect
	gopkg.in/check.v1 v1.0.0-20180628173108-788fd7840127 // indirect
)

replace github.com/gracekit/grace => ../..
