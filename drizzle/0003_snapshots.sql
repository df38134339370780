CREATE TABLE "snapshots" (
	"aggregate_type" text NOT NULL,
	"aggregate_id" uuid NOT NULL,
	"schema_version" integer NOT NULL,
	"sequence" bigint NOT NULL,
	"state" jsonb NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "snapshots_pkey" PRIMARY KEY("aggregate_type","aggregate_id","schema_version"),
	CONSTRAINT "snapshots_sequence_check" CHECK ("snapshots"."sequence" >= 1),
	CONSTRAINT "snapshots_schema_version_check" CHECK ("snapshots"."schema_version" >= 1)
);
