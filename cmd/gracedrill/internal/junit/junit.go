// Package junit writes a drill's checks as JUnit XML, the format CI systems (GitLab, Jenkins,
// GitHub's test reporters) read: one test suite, one test case per check, a failure element
// holding the reasons of a failed check and a skipped element for a check that could not be
// judged.
package junit

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gracekit/grace/cmd/gracedrill/internal/summary"
)

// Suites is the document: <testsuites><testsuite>...</testsuite></testsuites>.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one drill.
type Suite struct {
	Name      string     `xml:"name,attr"`
	Tests     int        `xml:"tests,attr"`
	Failures  int        `xml:"failures,attr"`
	Errors    int        `xml:"errors,attr"`
	Skipped   int        `xml:"skipped,attr"`
	Time      string     `xml:"time,attr"`
	Timestamp string     `xml:"timestamp,attr"`
	Cases     []Case     `xml:"testcase"`
	SystemOut string     `xml:"system-out,omitempty"`
	Props     []Property `xml:"properties>property,omitempty"`
}

// Property is a name/value pair of the suite (the headline figures).
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one check.
type Case struct {
	Name      string   `xml:"name,attr"`
	ClassName string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Failure `xml:"failure,omitempty"`
	Skipped   *Skip    `xml:"skipped,omitempty"`
}

// Failure says why a check failed.
type Failure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// Skip says why a check could not be judged.
type Skip struct {
	Message string `xml:"message,attr"`
}

// FromSummary builds the document for a drill that took elapsed and began at started.
func FromSummary(s summary.Summary, started time.Time, elapsed time.Duration) Suites {
	secs := fmt.Sprintf("%.3f", elapsed.Seconds())
	suite := Suite{Name: "gracedrill " + s.Mode, Time: secs, Timestamp: started.UTC().Format(time.RFC3339),
		SystemOut: summary.ResultLine(s)}
	for _, c := range s.Checks {
		tc := Case{Name: c.Name, ClassName: "gracedrill." + s.Mode, Time: "0"}
		switch {
		case c.Skipped:
			tc.Skipped = &Skip{Message: strings.Join(c.Reasons, "; ")}
			suite.Skipped++
		case !c.OK:
			tc.Failure = &Failure{Message: c.Reasons[0], Type: "gracedrill", Text: strings.Join(c.Reasons, "\n")}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	suite.Props = []Property{
		{"requests", fmt.Sprint(s.Requests)}, {"failed", fmt.Sprint(s.Failed)},
		{"exit_code", fmt.Sprint(s.ExitCode())}, {"verdict", s.Verdict},
	}
	for i, d := range s.Disagreements {
		suite.Props = append(suite.Props, Property{fmt.Sprintf("disagreement_%d", i+1), d})
	}
	return Suites{Name: "gracedrill", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: secs, Suites: []Suite{suite}}
}

// Write writes the document to path.
func Write(path string, doc Suites) error {
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	b = append([]byte(xml.Header), append(b, '\n')...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}

// Read parses the document at path, as a CI system reads it.
func Read(path string) (Suites, error) {
	var doc Suites
	b, err := os.ReadFile(path)
	if err != nil {
		return doc, fmt.Errorf("junit: %w", err)
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return doc, fmt.Errorf("junit: %s: %w", path, err)
	}
	return doc, nil
}
