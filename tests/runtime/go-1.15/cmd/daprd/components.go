package main

// The components the generated services use, registered as github.com/dapr/dapr v1.15.0 cmd/daprd/components/*.go
// registers them (one file per component there, each behind the stablecomponents build tag).

import (
	bindingscontrib "github.com/dapr/components-contrib/bindings"
	bindingscron "github.com/dapr/components-contrib/bindings/cron"
	bindingshttp "github.com/dapr/components-contrib/bindings/http"
	bindingskafka "github.com/dapr/components-contrib/bindings/kafka"
	bindingspostgres "github.com/dapr/components-contrib/bindings/postgres"
	bindingssmtp "github.com/dapr/components-contrib/bindings/smtp"
	configurationpostgres "github.com/dapr/components-contrib/configuration/postgres"
	configurationredis "github.com/dapr/components-contrib/configuration/redis"
	lockredis "github.com/dapr/components-contrib/lock/redis"
	nrmdns "github.com/dapr/components-contrib/nameresolution/mdns"
	pubsubinmemory "github.com/dapr/components-contrib/pubsub/in-memory"
	pubsubkafka "github.com/dapr/components-contrib/pubsub/kafka"
	pubsubredis "github.com/dapr/components-contrib/pubsub/redis"
	secretsenv "github.com/dapr/components-contrib/secretstores/local/env"
	secretsfile "github.com/dapr/components-contrib/secretstores/local/file"
	stateinmemory "github.com/dapr/components-contrib/state/in-memory"
	statepgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	statepgv2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stateredis "github.com/dapr/components-contrib/state/redis"
	"github.com/dapr/dapr/pkg/components"
	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	configurationLoader "github.com/dapr/dapr/pkg/components/configuration"
	lockLoader "github.com/dapr/dapr/pkg/components/lock"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
	"github.com/dapr/kit/logger"
)

func init() {
	// state_redis.go, state_postgres.go (v1 is the default version, v2 preferred), state_in-memory.go
	stateLoader.DefaultRegistry.RegisterComponent(stateredis.NewRedisStateStore, "redis")
	postgresVersions := components.Versioning{
		Preferred: components.VersionConstructor{Version: "v2", Constructor: statepgv2.NewPostgreSQLStateStore},
		Others:    []components.VersionConstructor{{Version: "v1", Constructor: statepgv1.NewPostgreSQLStateStore}},
		Default:   "v1",
	}
	stateLoader.DefaultRegistry.RegisterComponentWithVersions("postgres", postgresVersions)
	stateLoader.DefaultRegistry.RegisterComponentWithVersions("postgresql", postgresVersions)
	stateLoader.DefaultRegistry.RegisterComponent(stateinmemory.NewInMemoryStateStore, "in-memory")

	// pubsub_redis.go, pubsub_kafka.go, pubsub_in-memory.go
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubredis.NewRedisStreams, "redis")
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubkafka.NewKafka, "kafka")
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubinmemory.New, "in-memory")

	// secretstores_local_file.go, secretstores_local_env.go
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretsfile.NewLocalSecretStore, "local.file")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretsenv.NewEnvSecretStore, "local.env")

	// bindings_http.go, bindings_smtp.go, bindings_kafka.go, bindings_postgres.go, bindings_cron.go
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(bindingshttp.NewHTTP, "http")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(bindingssmtp.NewSMTP, "smtp")
	bindingsLoader.DefaultRegistry.RegisterInputBinding(func(l logger.Logger) bindingscontrib.InputBinding {
		return bindingskafka.NewKafka(l)
	}, "kafka")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(func(l logger.Logger) bindingscontrib.OutputBinding {
		return bindingskafka.NewKafka(l)
	}, "kafka")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(bindingspostgres.NewPostgres, "postgres", "postgresql")
	bindingsLoader.DefaultRegistry.RegisterInputBinding(bindingscron.NewCron, "cron")

	// lock_redis.go, configuration_redis.go, configuration_postgres.go
	lockLoader.DefaultRegistry.RegisterComponent(lockredis.NewStandaloneRedisLock, "redis")
	configurationLoader.DefaultRegistry.RegisterComponent(configurationredis.NewRedisConfigurationStore, "redis")
	configurationLoader.DefaultRegistry.RegisterComponent(configurationpostgres.NewPostgresConfigurationStore, "postgres", "postgresql")

	// nameresolution_mdns.go: self-hosted service invocation resolves app ids by mDNS
	nrLoader.DefaultRegistry.RegisterComponent(nrmdns.NewResolver, "mdns")
}
