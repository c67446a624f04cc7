module github.com/gracekit/grace/internal/conformance

go 1.26.0

replace (
	github.com/gracekit/grace => ../../
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
	github.com/gracekit/grace/graceetcd v0.0.0
	github.com/gracekit/grace/gracefasthttp v0.0.0
	github.com/gracekit/grace/gracegrpc v0.0.0
	github.com/gracekit/grace/gracehttp3 v0.0.0
	github.com/gracekit/grace/gracekafka v0.0.0
	github.com/gracekit/grace/gracenats v0.0.0
	github.com/gracekit/grace/graceotel v0.0.0
	github.com/gracekit/grace/gracepgx v0.0.0
	github.com/gracekit/grace/graceredis v0.0.0
	github.com/gracekit/grace/gracesystemd v0.0.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/coreos/go-systemd/v22 v22.7.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/golang/protobuf v1.5.4 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.30.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/pgx/v5 v5.12.0 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/nats-io/nats.go v1.55.0 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	github.com/quic-go/quic-go v0.65.0 // indirect
	github.com/redis/go-redis/v9 v9.23.0 // indirect
	github.com/twmb/franz-go v1.22.3 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasthttp v1.78.0 // indirect
	go.etcd.io/etcd/api/v3 v3.7.3 // indirect
	go.etcd.io/etcd/client/pkg/v3 v3.7.3 // indirect
	go.etcd.io/etcd/client/v3 v3.7.3 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/sdk v1.47.0 // indirect
	go.opentelemetry.io/otel/sdk/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.1 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
