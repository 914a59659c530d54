// Command ozgo is the one binary of the ozgo platform for German online
// administrative services. See "ozgo help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ozgo/ozgo/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default so a second one ends
		// the process at once instead of waiting for the graceful shutdown.
		<-ctx.Done()
		stop()
	}()
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
