package option

import "fmt"

// Start is the Start of a component around a client its caller made: the error of validate
// (the component's Validate) if any, else that of reach — a round trip to the server, bounded
// by the start's ctx — as "reach <what>: <error>".
func Start(validate func() error, what string, reach func() error) error {
	if err := validate(); err != nil {
		return err
	}
	if err := reach(); err != nil {
		return fmt.Errorf("reach %s: %w", what, err)
	}
	return nil
}
