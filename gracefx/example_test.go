package gracefx_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gracekit/grace"
	"github.com/gracekit/grace/gracefx"
	"go.uber.org/fx"
)

// Store is a dependency as fx users write them: its constructor appends a hook.
type Store struct{}

func NewStore(lc fx.Lifecycle) *Store {
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error { fmt.Println("store open"); return nil },
		OnStop:  func(context.Context) error { fmt.Println("store closed"); return nil },
	})
	return &Store{}
}

// An fx app whose hooks grace runs: the providers are untouched; main builds the fx app with
// Module at its root and runs the grace App (app.Main in a real service) instead of the fx app.
func ExampleModule() {
	app := grace.New(grace.WithLogger(slog.New(slog.DiscardHandler)))
	fxApp := fx.New(fx.NopLogger,
		gracefx.Module(app, gracefx.WithStopTimeout(2*time.Second)),
		fx.Provide(NewStore),
		fx.Invoke(func(_ *Store, lc fx.Lifecycle, sd fx.Shutdowner) {
			lc.Append(fx.StartHook(func() { sd.Shutdown() })) // stand-in for SIGTERM
		}),
	)
	if err := fxApp.Err(); err != nil {
		fmt.Println(err)
		return
	}
	rep, _ := app.Run(context.Background())
	fmt.Println(rep.Component("gracefx_test.NewStore").State)
	// Output:
	// store open
	// store closed
	// stopped
}
