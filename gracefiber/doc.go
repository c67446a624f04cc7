// Package gracefiber drains a Fiber v3 app without losing a request, as a component of a
// grace.App. It is [gracefasthttp] applied to the *fasthttp.Server that Fiber owns, so it behaves
// the same way: readiness off and "Connection: close" through the drain delay while the app keeps
// serving, intake stopped at its turn, idle keep-alive connections closed at once, requests in
// flight waited for on an event, and those still running at the cut point named in the report
// and counted as lost.
//
// Use it instead of app.Listen and app.ShutdownWithTimeout, which wait forever on keep-alive
// connections (or force-close everything at the timeout) and never flip readiness:
//
//	fapp := fiber.New()
//	fapp.Get("/livez", gracefiber.Live(app))
//	fapp.Get("/readyz", gracefiber.Ready(app))
//	app.Add("http", gracefiber.New(fapp, gracefasthttp.WithAddr(":3000")))
//
// Fiber's OnListen hooks run (the app is served through App.Listener, with the startup message
// off); its OnPreShutdown and OnPostShutdown hooks do not, because App.Shutdown is never called:
// put that work in grace components, which are stopped in dependency order. Handlers see the
// drain through [gracefasthttp.Server.Draining], and the hard cancel through the request's
// context (c.RequestCtx().Done()).
package gracefiber
