// Package sdcontainer boots a real systemd (257, Debian trixie) as PID 1 of a systemd-nspawn
// container, for tests that need the service manager itself: units written by the test, socket
// units, the file-descriptor store, Type=notify-reload, `systemctl restart` and `reload`.
//
// The root filesystem is built once by scripts/systemd-container (debootstrap) and cached
// (/var/cache/grace by default); each container boots on it with --volatile=overlay, so what a
// test writes into it (static binaries, unit files) lives in a tmpfs and goes with the container.
// The container shares the host's network: a unit listening on 127.0.0.1:P inside is reached
// from the test at 127.0.0.1:P. Processes inside have PIDs of the container's PID namespace
// (what `systemctl show -p MainPID` says).
//
// A test package boots one container and shares it between its tests:
//
//	var box sdcontainer.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		box.Stop()
//		os.Exit(code)
//	}
//
//	func TestX(t *testing.T) {
//		c := box.Get(t) // boots on first use; fails under CI=true if it cannot, else skips
//		c.WriteUnit(t, "x.service", "...")
//		c.Systemctl(t, "start", "x.service")
//	}
//
// Booting needs root, debootstrap, systemd-nspawn and nsenter (scripts/deps installs them). It is
// Linux only; elsewhere [Boot] returns an error matching [ErrUnavailable].
package sdcontainer
