package option

import "time"

// Func is an option of an adapter whose config is C. The adapter's exported Option type is an
// alias of Func over its unexported config, so that only its own With functions make options.
type Func[C any] func(*C)

// Apply applies opts to c in the order given, skipping nil ones.
func Apply[C any](c *C, opts []Func[C]) {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
}

// Cut is the config of an adapter whose one option is its cut margin (gracepgx, graceredis):
// how long before its stop deadline it cuts the work still in hand, for grace.CutAt.
type Cut struct {
	Problems
	Margin time.Duration
}

// NewCut returns a Cut config with the margin given (grace.DefaultCutMargin, mostly) and opts
// applied.
func NewCut(margin time.Duration, opts []Func[Cut]) Cut {
	c := Cut{Margin: margin}
	Apply(&c, opts)
	return c
}

// CutMargin is the WithCutMargin option of a [Cut] config: the margin must be positive.
func CutMargin(d time.Duration) Func[Cut] {
	return func(c *Cut) { c.Margin = c.Positive("cut margin", d) }
}
