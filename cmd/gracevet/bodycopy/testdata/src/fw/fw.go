package fw

import (
	"encoding/json"
	"io"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
)

// Positive: gin handlers read c.Request.Body.
func ginUpload(c *gin.Context) {
	_, _ = io.ReadAll(c.Request.Body) // want `io.ReadAll of the request body in an HTTP handler ignores the request context: .* use gracehttp.CopyContext\(c.Request.Context\(\), dst, src\)`
	_, _ = c.FormFile("f")            // want `FormFile reads the request body`
}

// Positive: echo handlers read c.Request().Body.
func echoCreate(c echo.Context) error {
	return json.NewDecoder(c.Request().Body).Decode(nil) // want `json.NewDecoder reads the request body in an HTTP handler without the request context: .* gracehttp.CopyContext\(c.Request\(\).Context\(\), dst, body\)`
}

// Look-alike: Fiber (fasthttp) has read the whole body before the handler runs.
func fiberCreate(c *fiber.Ctx) error {
	return json.Unmarshal(c.Body(), nil)
}

// Look-alike: a function taking a gin context and more is not a handler.
func notHandler(c *gin.Context, r io.Reader) { // want notHandler:"reads param 1"
	_, _ = io.ReadAll(r)
}
