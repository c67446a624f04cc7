//go:build !linux

package main

import (
	"context"
	"errors"

	"github.com/gracekit/grace/cmd/gracedrill/internal/record"
	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

func upgradeDrill(context.Context, upgradeConfig) (summary.Summary, []upgradeRow, []record.Request, []record.Event, error) {
	return summary.Summary{}, nil, nil, nil, errors.New("the upgrade drill needs Linux (it adopts the successors to time their exits)")
}
