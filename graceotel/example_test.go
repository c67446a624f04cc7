package graceotel_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/graceotel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The telemetry observes the app's events and is a foundation (grace.StopsLast): added anywhere,
// it stops after every other component, and its shutdown exports the whole stop. Here the OTLP
// endpoint is an in-process collector.
func Example() {
	col := startCollector(false)
	defer col.close()
	ctx := context.Background()
	te, _ := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(col.srv.URL+"/v1/traces"))
	me, _ := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(col.srv.URL+"/v1/metrics"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(te))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me)))

	tel, err := graceotel.New(tp, mp)
	if err != nil {
		fmt.Println(err)
		return
	}
	app := grace.New(grace.WithSignals(),
		grace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	app.Add("db", grace.Hook{})
	app.Add("http", grace.Hook{}, grace.DependsOn("db"))
	app.Add("telemetry", tel, grace.StopsLast(), grace.StopTimeout(5*time.Second))
	plan, _ := app.Plan()
	for i, wave := range plan.Stop {
		var names []string
		for _, step := range wave {
			names = append(names, step.Name)
		}
		fmt.Printf("stop wave %d: %v\n", i+1, names)
	}

	go func() { <-app.Await(grace.PhaseReady); app.Stop("example") }()
	_, err = app.Run(ctx)
	fmt.Println("error:", err)
	fmt.Println("spans exported:", col.spanNames())
	fmt.Println("stop durations exported:", col.metric("grace.component.stop.duration") != nil)
	// Output:
	// stop wave 1: [http]
	// stop wave 2: [db]
	// stop wave 3: [telemetry]
	// error: <nil>
	// spans exported: [grace.component.drain grace.component.start grace.component.stop grace.drain grace.start grace.stop grace.stopping]
	// stop durations exported: true
}
