package server_test

import (
	"os"
	"testing"

	"github.com/fealac/smegraph/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
