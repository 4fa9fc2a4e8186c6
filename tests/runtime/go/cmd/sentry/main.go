// The Dapr sentry (the certificate authority behind mTLS), as github.com/dapr/dapr cmd/sentry/main.go builds it.
package main

import "github.com/dapr/dapr/cmd/sentry/app"

func main() {
	app.Run()
}
