CREATE TABLE "replays" (
	"id" uuid PRIMARY KEY NOT NULL,
	"filter" jsonb NOT NULL,
	"channel" text,
	"status" text NOT NULL,
	"up_to" bigint NOT NULL,
	"last_position" bigint DEFAULT 0 NOT NULL,
	"published" bigint DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replays_status_check" CHECK ("replays"."status" in ('running', 'completed', 'failed', 'cancelled'))
);
