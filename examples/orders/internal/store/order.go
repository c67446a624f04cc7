package store

import "time"

// Order statuses. An order is created "new", then becomes "fulfilled" (by the consumer),
// "rejected" (its message could not be published) or "expired" (still new after the expiry age).
const (
	StatusNew       = "new"
	StatusFulfilled = "fulfilled"
	StatusRejected  = "rejected"
	StatusExpired   = "expired"
)

// Item is one line of an order.
type Item struct {
	SKU        string `json:"sku"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"price_cents"`
}

// Order is a row of the orders table.
type Order struct {
	ID          string       `json:"id"`
	Customer    string       `json:"customer"`
	Items       []Item       `json:"items"`
	TotalCents  int64        `json:"total_cents"`
	Status      string       `json:"status"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	FulfilledAt *time.Time   `json:"fulfilled_at,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file stored for an order.
type Attachment struct {
	Name      string    `json:"name"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}
