// The Dapr scheduler (Jobs API back end), as github.com/dapr/dapr cmd/scheduler/main.go builds it.
package main

import "github.com/dapr/dapr/cmd/scheduler/app"

func main() {
	app.Run()
}
