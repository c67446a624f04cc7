// Package gracesystemd connects a [grace.App] to systemd: the sd_notify protocol (READY=1,
// STOPPING=1, STATUS=, WATCHDOG=1, EXTEND_TIMEOUT_USEC=) and socket activation (LISTEN_FDS).
//
// A [Notifier] is a grace component. Add it with [grace.StopsLast], so that every other
// component depends on it: it then starts before them and stops after them, and keeps the
// watchdog fed and the stop timeout extended for as long as anything is still stopping. Give
// its [Notifier.Observe] to the app as an observer too, so its statuses name the trigger and
// the components still stopping:
//
//	var n *gracesystemd.Notifier
//	app := grace.New(grace.WithBudget(60*time.Second),
//		grace.WithObserver(func(e grace.Event) { n.Observe(e) }))
//	n = gracesystemd.New(app, gracesystemd.WithStopTimeout(30*time.Second))
//	app.Add("systemd", n, grace.StopsLast())
//	app.Add("http", server)
//
// A unit for such a service:
//
//	[Service]
//	Type=notify
//	ExecStart=/usr/local/bin/svc
//	TimeoutStopSec=30
//	WatchdogSec=10
//
// Outside systemd (NOTIFY_SOCKET unset) the Notifier does nothing and costs nothing.
//
// [Listeners] returns the sockets of a socket-activated service, for an HTTP server (gracehttp
// accepts them as listeners) or anything that serves a net.Listener.
//
// [FDStore] keeps the service's named listeners in systemd's file-descriptor store
// (FileDescriptorStoreMax=), so that a plain `systemctl restart` refuses no connection: the
// socket stays open in systemd between the two processes and the next one takes it back by name.
// [Store] and [Unstore] are the protocol underneath.
//
// The notifications are sent with github.com/coreos/go-systemd/v22: its daemon package for the
// messages and the watchdog settings, its activation package for the inherited sockets. The
// messages that carry descriptors (FDSTORE=1, BARRIER=1) are sent by this package, since
// go-systemd cannot send descriptors.
package gracesystemd
