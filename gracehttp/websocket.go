package gracehttp

import (
	"encoding/binary"
	"net"
	"time"
)

// WebSocketGoingAwayCode is the WebSocket close code 1001 ("going away", RFC 6455 §7.4.1).
const WebSocketGoingAwayCode = 1001

// DefaultWebSocketWriteTimeout bounds how long WebSocketGoingAway waits for its frame to be written.
const DefaultWebSocketWriteTimeout = time.Second

// WebSocketGoingAway writes a WebSocket close frame with code 1001 and the reason (cut to the
// 123 bytes a control frame allows) to c, a server-side connection (the frame is unmasked), so
// the peer reconnects elsewhere. It is the [WithGoAway] hook for plain WebSocket servers:
// WithGoAway(gracehttp.WebSocketGoingAway). It waits at most [DefaultWebSocketWriteTimeout]
// for the write and leaves the connection open: the handler sees the peer's close frame and
// ends, or Stop closes the connection at its deadline.
func WebSocketGoingAway(c net.Conn) {
	_ = WriteWebSocketClose(c, WebSocketGoingAwayCode, "server going away")
}

// WriteWebSocketClose writes one server-to-client WebSocket close frame with code and reason.
func WriteWebSocketClose(c net.Conn, code uint16, reason string) error {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	frame := make([]byte, 4, 4+len(reason))
	frame[0] = 0x88 // FIN + opcode close
	frame[1] = byte(2 + len(reason))
	binary.BigEndian.PutUint16(frame[2:], code)
	frame = append(frame, reason...)
	_ = c.SetWriteDeadline(time.Now().Add(DefaultWebSocketWriteTimeout))
	_, err := c.Write(frame)
	_ = c.SetWriteDeadline(time.Time{})
	return err
}
