// Package graceupgrade restarts a service on one host without refusing or resetting a
// connection: the running process hands its listening sockets to the next one, which serves
// them once its whole start has succeeded, and only then does the old process drain and exit.
//
//	app := grace.New()
//	up := graceupgrade.New(app) // SIGHUP upgrades
//	ln, err := up.Listen("http", "tcp", ":8080") // inherited from the parent, or new
//	if err != nil { ... }
//	app.Add("upgrade", up, grace.StopsLast())
//	app.Add("http", gracehttp.New(srv, gracehttp.WithListener(ln)))
//	app.Main()
//
// # How an upgrade goes
//
// A trigger — SIGHUP by default ([WithSignals]), [Upgrader.Upgrade], or the admin endpoint
// ([WithAdmin], off by default) — starts the successor: the executable path resolved again (a
// replaced binary runs), the same arguments, environment and working directory, each named
// socket passed as an inherited descriptor under its name. [New] in the successor finds them and
// [Upgrader.Listen] returns them by name.
//
// In [Overlap] mode (the default) the successor runs grace's full start — pools, migrations,
// consumers — while the parent serves; both accept from the same sockets. When the successor's
// app reaches grace.PhaseReady it tells its parent, which stops through grace's normal stop
// ([grace.App.Stop] with a reason beginning with [StopReason]): its drain delay and Drainers
// run, gracehttp answers with "Connection: close" (GOAWAY for HTTP/2 and gRPC) so keep-alive
// clients reconnect — to the successor — and closes its own descriptor of each listener.
// Closing it does not reset anything: the socket, and the connections waiting in its accept
// queue, stay open in the successor, which accepts them. In-flight requests finish in the
// parent, its other components stop in order, and it exits.
//
// In [Sequential] mode, for services that own state two processes cannot open at once (an
// embedded store, a lock on a data directory), the successor takes the sockets, tells its parent,
// and then waits in its Upgrader's Start, before its other components start, until the parent
// has stopped completely. Connections that arrive meanwhile wait in the shared accept queue:
// latency, not refusal. A successor that then fails to start leaves the service down — the price
// of not running twice; the parent cannot take its state back.
//
// # Failures and races
//
// A successor that exits, or is not ready within the ready timeout ([WithReadyTimeout]), is
// stopped (SIGTERM, then SIGKILL after [WithKillGrace]) and reaped; the parent keeps serving,
// logs the failure, counts it ([Upgrader.Stats]) and emits [EventFailed]; a later trigger may try
// again. There is never more than one successor: a trigger during an upgrade is refused with a
// log line ([ErrInProgress]), as is one before the app is ready or once it stops
// ([ErrNotServing]). A successor that is ready can upgrade in turn at once, while its parent
// still drains. A stop of the parent during an upgrade (SIGTERM, say) stops the successor and
// waits for it in the Upgrader's Drain, then stops the parent as usual.
//
// The inherited-descriptor variables are removed from the environment by [New] and the
// descriptors are marked close-on-exec, so no other child process inherits them; the variables
// are for the successor's PID's parent only (GRACE_UPGRADE_PPID), as systemd's are for
// LISTEN_PID.
//
// # What moves and what does not
//
// Carried over: each named listening socket (TCP, unix, UDP), the same kernel socket, with its
// accept queue and its bound address; the PID file ([WithPIDFile]); the service manager's main
// PID. Not carried: connections and requests the parent accepted — they finish in the parent
// (keep-alive clients are asked to reconnect); anything in memory; for UDP, datagrams are read
// by whichever process reads first and per-peer state (QUIC connections) cannot move.
//
// # systemd
//
// [New] also takes sockets from systemd — socket activation or its file-descriptor store —
// through LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (names from FileDescriptorName= or FDNAME=;
// a .socket unit's default name is the unit's name, "web.socket"). When NOTIFY_SOCKET is set
// (see [WithNotify]) an upgrade tells the service manager what happens, one datagram each:
//
//   - the first process, at its ready: READY=1 (Type=notify waits for it);
//   - at the trigger, the parent: RELOADING=1 and MONOTONIC_USEC= (Type=notify-reload waits
//     for the READY=1 that ends the reload);
//   - when the successor is ready, the parent, still the main process: MAINPID=<successor> and
//     READY=1 (in sequential mode MAINPID= only), then BARRIER=1, waiting (at most 5 s) until
//     the manager has taken the new main PID, so the parent never exits before it has; then, once
//     the parent has answered that it
//     sent it, the successor: MAINPID=<self> and READY=1 (at its ready, in sequential mode);
//   - when an attempt fails, the parent: READY=1 and STATUS=.
//
// The successor is started without WATCHDOG_PID (which names the parent), so with
// WatchdogSec= the watchdog applies to it as the next main process. After an upgrade the main
// process is no longer systemd's child, and systemd follows SIGTERM with SIGKILL at once unless
// the unit waits for it: give the unit an ExecStop= that signals $MAINPID and waits for it to
// exit (gracesystemd's README shows one).
//
// For systemd's file-descriptor store, [Upgrader.Files] gives a copy of each named socket to
// send with FDSTORE=1 and FDNAME=<name>; the next process finds them by name. [WithObserver]
// reports each attempt's begin, ready and failure ([Event]). A stop whose grace.Trigger reason
// begins with [StopReason] is an upgrade's: an observer should not tell the service manager the
// service is stopping (STOPPING=1) then.
//
// On systems other than Unix, descriptors cannot be handed over: [New]'s Upgrader returns
// [ErrUnsupported] from every method, and an app with one refuses to start.
package graceupgrade
