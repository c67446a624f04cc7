// Package fiber is a stub of github.com/gofiber/fiber/v2: the types gracevet recognises.
package fiber

import "context"

type Ctx struct{}

func (c *Ctx) Body() []byte             { return nil }
func (c *Ctx) Context() context.Context { return nil }
