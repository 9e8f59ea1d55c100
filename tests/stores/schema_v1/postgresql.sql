--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: proauth2_access_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proauth2_access_tokens (
    token_hash character varying(64) NOT NULL,
    client_id character varying(255) NOT NULL,
    user_id character varying(255),
    scopes text NOT NULL,
    grant_id character varying(64) NOT NULL,
    issued_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked boolean NOT NULL
);


--
-- Name: proauth2_clients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proauth2_clients (
    client_id character varying(255) NOT NULL,
    secret_hash character varying(64),
    name character varying(255) NOT NULL,
    redirect_uris text NOT NULL,
    grant_types text NOT NULL,
    scopes text NOT NULL,
    default_scope text NOT NULL,
    auth_method character varying(32) NOT NULL,
    created_at bigint NOT NULL
);


--
-- Name: proauth2_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proauth2_codes (
    code_hash character varying(64) NOT NULL,
    client_id character varying(255) NOT NULL,
    user_id character varying(255) NOT NULL,
    redirect_uri text NOT NULL,
    redirect_uri_given boolean NOT NULL,
    scopes text NOT NULL,
    code_challenge character varying(128),
    code_challenge_method character varying(8),
    grant_id character varying(64) NOT NULL,
    expires_at bigint NOT NULL,
    used boolean NOT NULL
);


--
-- Name: proauth2_refresh_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proauth2_refresh_tokens (
    token_hash character varying(64) NOT NULL,
    client_id character varying(255) NOT NULL,
    user_id character varying(255),
    scopes text NOT NULL,
    grant_id character varying(64) NOT NULL,
    issued_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked boolean NOT NULL,
    used boolean NOT NULL
);


--
-- Name: proauth2_schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proauth2_schema_version (
    id integer NOT NULL,
    version integer NOT NULL
);


--
-- Name: proauth2_schema_version_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proauth2_schema_version_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proauth2_schema_version_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proauth2_schema_version_id_seq OWNED BY public.proauth2_schema_version.id;


--
-- Name: proauth2_schema_version id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_schema_version ALTER COLUMN id SET DEFAULT nextval('public.proauth2_schema_version_id_seq'::regclass);


--
-- Data for Name: proauth2_access_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.proauth2_access_tokens VALUES ('531a65ccb91fcec88bc124df42756db622be809badca594701123a647e4e712c', 'HnsCZaVTC5W1qmcDT-lclA', 'alice', '["email","profile"]', 's9PElpPlKuRnE-2dD3golg', 1800000000, 1800003600, false);
INSERT INTO public.proauth2_access_tokens VALUES ('2aa93787acd6dd52e50f1b9a0f7dbf27a20b6337308bdfec647fdec47eb1adf6', '79ISKmNDroebMyXX3XADkw', 'bob', '["email","profile"]', 'g6h0SJyxB4zjuURIyX1iZw', 1800000000, 1800003600, false);
INSERT INTO public.proauth2_access_tokens VALUES ('8c94474cf5636473a146712482ca6110a6c58a0c2de91cb3ae9226f4ec8bde2e', 'JpWdxfPwaExTJX83_HHyRA', NULL, '["profile"]', 'z90bUhl1L1a0B3NOlFV57w', 1800000000, 1800003600, false);
INSERT INTO public.proauth2_access_tokens VALUES ('19e97cbd13e06af4024dbb847273471d39bdb9103761a89b4ae75c87dae109d4', 'JpWdxfPwaExTJX83_HHyRA', NULL, '["profile"]', 'dgZvMi2-mrGGZky6Pc_XRw', 1800000000, 1800003600, true);


--
-- Data for Name: proauth2_clients; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.proauth2_clients VALUES ('HnsCZaVTC5W1qmcDT-lclA', '4daca82614f10fc33ddc4f367838975850247dd0c417d246f1e636e42330a0d5', 'Web app', '["https://client.example.com/callback"]', '["authorization_code","refresh_token"]', '["email","profile"]', '["profile"]', 'client_secret_basic', 1800000000);
INSERT INTO public.proauth2_clients VALUES ('79ISKmNDroebMyXX3XADkw', NULL, 'Native app', '["http://127.0.0.1/callback"]', '["authorization_code","refresh_token"]', '["email","profile"]', '["profile"]', 'none', 1800000000);
INSERT INTO public.proauth2_clients VALUES ('JpWdxfPwaExTJX83_HHyRA', 'a615b88a26118bd9015d8dc39d741bd6c4c2eff78d8d6c24005c46188223df8f', 'Service', '[]', '["client_credentials"]', '["email","profile"]', '["profile"]', 'client_secret_post', 1800000000);


--
-- Data for Name: proauth2_codes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.proauth2_codes VALUES ('c6d68a84f50305b5d373944a6054e36f57af8f507615023725df61e1ec69fdb5', 'HnsCZaVTC5W1qmcDT-lclA', 'alice', 'https://client.example.com/callback', true, '["email","profile"]', 'CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A', 'S256', 's9PElpPlKuRnE-2dD3golg', 1800000060, true);
INSERT INTO public.proauth2_codes VALUES ('3b9ea2691f64ce03d66b794f9bb21d2302c10ae15d7f1af76bf361cfc511a8d8', '79ISKmNDroebMyXX3XADkw', 'bob', 'http://127.0.0.1/callback', false, '["email","profile"]', 'CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A', 'S256', 'g6h0SJyxB4zjuURIyX1iZw', 1800000060, true);
INSERT INTO public.proauth2_codes VALUES ('f84526c1454058ed9dde0c6600800a62c39adccd39123e4f2d6feead080bfbbf', 'HnsCZaVTC5W1qmcDT-lclA', 'carol', 'https://client.example.com/callback', true, '["email","profile"]', 'CrlVwe1WSHWuTQYh3iczmx3aS-faRx6C92k9_hNxl4A', 'S256', 'TBDQQ8NmUyI6u1gbiQ5kcw', 1800000060, false);


--
-- Data for Name: proauth2_refresh_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.proauth2_refresh_tokens VALUES ('a074b184b2b5910eec2819e3abcf3deb9e0e1b9b241f9bdb397f2145cc864991', 'HnsCZaVTC5W1qmcDT-lclA', 'alice', '["email","profile"]', 's9PElpPlKuRnE-2dD3golg', 1800000000, 1801209600, false, false);
INSERT INTO public.proauth2_refresh_tokens VALUES ('6f5d0613c90abd0609ccaf1aaa95014358e0443e27b8dc73506c15f21712b5b7', '79ISKmNDroebMyXX3XADkw', 'bob', '["email","profile"]', 'g6h0SJyxB4zjuURIyX1iZw', 1800000000, 1801209600, false, false);


--
-- Data for Name: proauth2_schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.proauth2_schema_version VALUES (1, 1);


--
-- Name: proauth2_schema_version_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.proauth2_schema_version_id_seq', 1, true);


--
-- Name: proauth2_access_tokens proauth2_access_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_access_tokens
    ADD CONSTRAINT proauth2_access_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: proauth2_clients proauth2_clients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_clients
    ADD CONSTRAINT proauth2_clients_pkey PRIMARY KEY (client_id);


--
-- Name: proauth2_codes proauth2_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_codes
    ADD CONSTRAINT proauth2_codes_pkey PRIMARY KEY (code_hash);


--
-- Name: proauth2_refresh_tokens proauth2_refresh_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_refresh_tokens
    ADD CONSTRAINT proauth2_refresh_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: proauth2_schema_version proauth2_schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proauth2_schema_version
    ADD CONSTRAINT proauth2_schema_version_pkey PRIMARY KEY (id);


--
-- Name: proauth2_access_tokens_client_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_access_tokens_client_id ON public.proauth2_access_tokens USING btree (client_id);


--
-- Name: proauth2_access_tokens_expires_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_access_tokens_expires_at ON public.proauth2_access_tokens USING btree (expires_at);


--
-- Name: proauth2_access_tokens_grant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_access_tokens_grant_id ON public.proauth2_access_tokens USING btree (grant_id);


--
-- Name: proauth2_access_tokens_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_access_tokens_user_id ON public.proauth2_access_tokens USING btree (user_id);


--
-- Name: proauth2_codes_expires_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_codes_expires_at ON public.proauth2_codes USING btree (expires_at);


--
-- Name: proauth2_codes_grant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_codes_grant_id ON public.proauth2_codes USING btree (grant_id);


--
-- Name: proauth2_refresh_tokens_client_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_refresh_tokens_client_id ON public.proauth2_refresh_tokens USING btree (client_id);


--
-- Name: proauth2_refresh_tokens_expires_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_refresh_tokens_expires_at ON public.proauth2_refresh_tokens USING btree (expires_at);


--
-- Name: proauth2_refresh_tokens_grant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_refresh_tokens_grant_id ON public.proauth2_refresh_tokens USING btree (grant_id);


--
-- Name: proauth2_refresh_tokens_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proauth2_refresh_tokens_user_id ON public.proauth2_refresh_tokens USING btree (user_id);


--
-- PostgreSQL database dump complete
--


