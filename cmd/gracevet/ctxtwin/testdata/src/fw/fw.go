package fw

import (
	"context"
	"database/sql"
	"net/http"
	"os/exec"

	"connectrpc.com/connect"
	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	"pb"
)

var db *sql.DB

// Positive: gin, echo and Fiber handlers, with each framework's request context in the fix.
func ginUser(c *gin.Context) {
	_ = db.QueryRow("SELECT 1") // want `\(\*sql.DB\).QueryRow in an HTTP handler ignores the request context, so Shutdown waits for it: use QueryRowContext\(c.Request.Context\(\), ...\)`
}

func echoUser(c echo.Context) error {
	_, err := db.Exec("SELECT 1") // want `use ExecContext\(c.Request\(\).Context\(\), ...\)`
	return err
}

func fiberUser(c *fiber.Ctx) error {
	return exec.Command("true").Run() // want `use CommandContext\(c.Context\(\), ...\)`
}

// Positive: connect-go and gRPC handlers have their context as a parameter.
type greeter struct {
	pb.UnimplementedGreeterServer
}

func (g *greeter) SayHello(ctx context.Context, req *pb.HelloRequest) (*pb.HelloReply, error) {
	_, err := db.Exec("INSERT INTO hellos VALUES ($1)", req.Name) // want `\(\*sql.DB\).Exec in an RPC handler ignores the request context, so Shutdown waits for it: use ExecContext\(ctx, ...\)`
	return &pb.HelloReply{}, err
}

func (g *greeter) Greet(ctx context.Context, req *connect.Request[pb.HelloRequest]) (*connect.Response[pb.HelloReply], error) {
	_ = db.Ping() // want `use PingContext\(ctx, ...\)`
	return nil, nil
}

// Look-alikes: a method taking a context and a pointer on a type that is not a gRPC server; a
// function taking a gin engine; a gin handler whose context is blank.
type repo struct{}

func (repo) Save(ctx context.Context, req *pb.HelloRequest) (*pb.HelloReply, error) { // want Save:"drops the context"
	_, err := db.Exec("SELECT 1")
	return nil, err
}

func setup(e *gin.Engine) {
	_ = db.Ping()
}

func blank(_ *gin.Context) {
	_ = db.Ping()
}

// Look-alike: net/http handlers in chi or the standard mux are handlers as before.
func mux() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_ = db.PingContext(r.Context())
	})
}
