package option

// Each calls apply with each of opts in order, skipping nil ones: the loop of an adapter's
// constructor over its options, as in
//
//	option.Each(opts, func(o Option) { o.apply(&c) })
func Each[O comparable](opts []O, apply func(O)) {
	var none O
	for _, o := range opts {
		if o != none {
			apply(o)
		}
	}
}

// Apply returns c, an adapter's config with its defaults, after apply has applied each of opts
// to it in order, skipping nil ones: an adapter's newConfig, given the method expression of its
// own Option's apply, as in
//
//	option.Apply(config{batch: DefaultBatch, Common: option.Defaults()}, opts, Option.apply)
func Apply[C any, O comparable](c C, opts []O, apply func(O, *C)) C {
	Each(opts, func(o O) { apply(o, &c) })
	return c
}

// Count records "<what> must be positive, got <n>" when n, a count, is not positive, and returns
// n.
func (p *Problems) Count(what string, n int) int {
	if n <= 0 {
		p.Addf("%s must be positive, got %d", what, n)
	}
	return n
}
