// Package gclplugin makes gracevet's analyzers a golangci-lint (v2) module plugin named
// "gracevet". Importing it registers the plugin; golangci-lint's `custom` command does that when
// .custom-gcl.yml lists this package (see cmd/gracevet/README.md for the configuration).
//
// Settings (under linters.settings.custom.gracevet.settings in .golangci.yml):
//
//	disable: [servererr, exitafter]   # analyzers to leave out; unknown names are an error
package gclplugin

import (
	"fmt"
	"slices"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/gracekit/grace/cmd/gracevet/internal/suite"
)

// Name is the plugin's name, the key under linters.settings.custom in .golangci.yml.
const Name = "gracevet"

// init registers the plugin: golangci-lint's module plugin system finds plugins only through
// registration at import time.
func init() {
	register.Plugin(Name, New)
}

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	// Disable names analyzers not to run.
	Disable []string `json:"disable"`
}

// New returns the plugin for settings (nil for none). An unknown analyzer name in Disable is an
// error naming it.
func New(settings any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](settings)
	if err != nil {
		return nil, fmt.Errorf("gracevet settings: %w", err)
	}
	all := suite.Analyzers()
	for _, name := range s.Disable {
		if !slices.ContainsFunc(all, func(a *analysis.Analyzer) bool { return a.Name == name }) {
			return nil, fmt.Errorf("gracevet settings: disable: no analyzer named %q", name)
		}
	}
	var on []*analysis.Analyzer
	for _, a := range all {
		if !slices.Contains(s.Disable, a.Name) {
			on = append(on, a)
		}
	}
	return plugin(on), nil
}

type plugin []*analysis.Analyzer

func (p plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) { return p, nil }

// GetLoadMode asks for type information: every analyzer needs it.
func (plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
