module github.com/gracekit/grace/internal/conformance

go 1.26.0

replace (
	github.com/gracekit/grace => ../../
	github.com/gracekit/grace/graceamqp => ../../graceamqp
	github.com/gracekit/grace/graceetcd => ../../graceetcd
	github.com/gracekit/grace/gracefasthttp => ../../gracefasthttp
	github.com/gracekit/grace/gracegrpc => ../../gracegrpc
	github.com/gracekit/grace/gracehttp3 => ../../gracehttp3
	github.com/gracekit/grace/gracekafka => ../../gracekafka
	github.com/gracekit/grace/gracenats => ../../gracenats
	github.com/gracekit/grace/graceotel => ../../graceotel
	github.com/gracekit/grace/gracepgx => ../../gracepgx
	github.com/gracekit/grace/graceredis => ../../graceredis
	github.com/gracekit/grace/gracesystemd => ../../gracesystemd
)

require (
	github.com/gracekit/grace v0.0.0
	github.com/gracekit/grace/graceamqp v0.0.0
	github.com/gracekit/grace/gracefasthttp v0.0.0
	github.com/gracekit/grace/gracegrpc v0.0.0
	github.com/gracekit/grace/gracehttp3 v0.0.0
	github.com/gracekit/grace/gracekafka v0.0.0
	github.com/gracekit/grace/gracenats v0.0.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/nats-io/nats.go v1.55.0 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	github.com/quic-go/quic-go v0.65.0 // indirect
	github.com/rabbitmq/amqp091-go v1.16.0 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasthttp v1.78.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
