// Package gracesystemd connects a [grace.App] to systemd: the sd_notify protocol (READY=1,
// STOPPING=1, STATUS=, WATCHDOG=1, EXTEND_TIMEOUT_USEC=) and socket activation (LISTEN_FDS).
//
// A [Notifier] is a grace component. Add it with [grace.StopsLast], so that every other
// component depends on it: it then starts before them and stops after them, and keeps the
// watchdog fed and systemd's stop timeout extended for as long as anything is still stopping.
// It is a grace.Observer too: the app gives it its events, so its statuses name the trigger and
// the components still stopping:
//
//	app := grace.New(grace.WithBudget(60 * time.Second))
//	app.Add("systemd", gracesystemd.New(app, gracesystemd.WithTimeoutStopSec(30*time.Second)), grace.StopsLast())
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
