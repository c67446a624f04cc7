package a

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Positive: a component that can return (on ctx.Done) without ever receiving, leaving the
// registration behind.
func Run(ctx context.Context, reload func()) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP) // want `signal.Notify\(ch\) is never undone, and the function can return without having received a signal on the path that returns at line 20: the registration outlives the function, so later signals are neither received nor given their default action; defer signal.Stop\(ch\)`
	for {
		select {
		case <-ctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
		default:
			reload()
		}
	}
}

// Positive: returns early on an error path.
func Wait(start func() error) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt) // want `signal.Notify\(ch\) is never undone, and the function can return without having received a signal on the path that returns at line 33`
	if err := start(); err != nil {
		return err
	}
	<-ch
	return nil
}

// Positive: NotifyContext with its stop thrown away.
func Serve(ctx context.Context) context.Context {
	ctx, _ = signal.NotifyContext(ctx, os.Interrupt) // want `the stop function of signal.NotifyContext is discarded: the signals stay caught after the context is done, so a second interrupt cannot end a hung shutdown; keep it and defer stop\(\)`
	return ctx
}

// Look-alike: deferred signal.Stop.
func Stopped(ctx context.Context) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	defer signal.Stop(ch)
	select {
	case <-ch:
		return errors.New("interrupted")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Look-alike: the function returns because the signal came: the process's signal waiter.
func WaitForSignal() os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return <-ch
}

// Look-alike: a process-long handler that never returns.
func Trap(onSignal func(os.Signal)) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	for s := range ch {
		onSignal(s)
	}
}

// Look-alike: the channel is handed to its owner.
func Subscribe() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	return ch
}

// Look-alike: NotifyContext with stop kept.
func Kept(ctx context.Context) {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	<-ctx.Done()
}

// Look-alike: signal.Reset undoes every registration.
func ResetAll(done chan struct{}) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	<-done
	signal.Reset()
}

// Positive: the goroutine that receives the signal can stop without it; nothing undoes the
// registration then.
func Watch(ctx context.Context, reload func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP) // want `signal.Notify\(ch\) is never undone, and the function literal at line 101 that receives from ch can end without having received a signal on the path that returns at line 107: the registration outlives it`
	go func() {
		for {
			select {
			case <-ch:
				reload()
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Positive: a function literal registers a channel its enclosing function made.
func Group(ctx context.Context, run func(func() error)) {
	ch := make(chan os.Signal, 1)
	run(func() error {
		signal.Notify(ch, syscall.SIGTERM) // want `signal.Notify\(ch\) is never undone, and the function can return without having received a signal on the path that returns at line 122`
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// Look-alike: a goroutine that returns only once the signal came is the process's signal waiter.
func Background(cancel func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		<-ch
		cancel()
	}()
}

// Look-alike: the goroutine loops on the signals for the life of the process.
func Forever(reload func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		for range ch {
			reload()
		}
	}()
}

// Look-alike: the literal undoes its registration.
func GroupStopped(ctx context.Context, run func(func() error)) {
	ch := make(chan os.Signal, 1)
	run(func() error {
		signal.Notify(ch, syscall.SIGTERM)
		defer signal.Stop(ch)
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// Positive: the select receives the signal in one case and returns in another.
func Reload(ctx context.Context, reload func()) error {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP) // want `signal.Notify\(ch\) is never undone, and the function can return without having received a signal on the path that returns at line 172`
	for {
		select {
		case <-ch:
			reload()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
