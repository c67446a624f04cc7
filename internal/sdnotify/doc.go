// Package sdnotify writes the service manager's notification protocol (sd_notify(3)): datagrams
// of newline-separated KEY=VALUE assignments sent to the unix datagram socket named by
// NOTIFY_SOCKET, with descriptors attached (FDSTORE=1, BARRIER=1) when asked. It is the one place
// of this repository that writes to NOTIFY_SOCKET by hand (graceupgrade uses it; gracesystemd's
// descriptor store could), and checks descriptor names (FDNAME=) by systemd's rule.
//
// Every function sends nothing and returns nil when the address is empty (outside a service
// manager). Standard library only.
package sdnotify
