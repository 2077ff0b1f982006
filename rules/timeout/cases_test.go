package timeout_test

import (
	"testing"

	"github.com/flytedoctor/flytedoctor/rules/internal/casetest"
)

func TestCases(t *testing.T) { casetest.Run(t) }
