/* corral image info|ls|verify|extract FILE [DIR], and image create FILE DIR:
 * inspect, check, unpack or make a checkpoint image (docs/image-format.md). */
#define LOG_PREFIX "image: "
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "crypto/crypto_hostkey.h"
#include "formats/image_header.h"
#include "formats/image_reader.h"
#include "formats/image_writer.h"
#include "util/cleanup.h"

struct image_args {
	const char *verb, *file, *dir;
	const char *key_file, *seal_to;
	char *host_key; /* heap */
};

static void print_time(const char *label, int64_t ns)
{
	if (ns == 0)
		return;
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[64];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%-13s %s\n", label, buf);
}

static void print_info(const struct cr_image_manifest *m)
{
	uint64_t bytes = 0, files = 0;
	for (size_t i = 0; i < m->n_entries; i++) {
		files += m->entries[i].type == CR_ENTRY_FILE;
		bytes += m->entries[i].size;
	}
	printf("%-13s %u.%u%s\n", "format:", m->major, m->minor,
	       m->major == CR_IMAGE_MAJOR_STREAMED ? " (streamed: an index at the end, random access)" : "");
	printf("%-13s %s\n", "protection:", cr_image_protection_name(m->protection));
	printf("%-13s %s\n", "partition:", m->partition ? m->partition : "-");
	printf("%-13s %s\n", "source host:", m->hostname ? m->hostname : "-");
	printf("%-13s %s\n", "kernel:", m->kernel ? m->kernel : "-");
	printf("%-13s %s\n", "architecture:", m->arch ? m->arch : "-");
	printf("%-13s %s\n", "criu:", m->criu_version ? m->criu_version : "-");
	/* What restoring it needs of a CRIU beyond 4.1 ("-": any CRIU >= 4.1). */
	printf("%-13s", "criu needs:");
	for (size_t i = 0; i < m->n_criu_needs; i++)
		printf(" %s", m->criu_needs[i]);
	printf("%s\n", m->n_criu_needs ? "" : " -");
	printf("%-13s %s\n", "writer:", m->writer ? m->writer : "-");
	print_time("created:", m->created_ns);
	print_time("checkpoint:", m->checkpoint_ns);
	printf("%-13s %u\n", "block size:", m->block_size);
	printf("%-13s %zu (%" PRIu64 " files, %" PRIu64 " bytes)\n", "entries:", m->n_entries,
	       files, bytes);
	printf("%-13s", "cpu features:");
	for (size_t i = 0; i < m->n_cpu_features; i++)
		printf(" %s", m->cpu_features[i]);
	printf("\n");
	if (m->spec_text)
		printf("spec:\n%s%s", m->spec_text,
		       *m->spec_text && m->spec_text[strlen(m->spec_text) - 1] != '\n' ? "\n" : "");
}

static void print_list(const struct cr_image_manifest *m)
{
	for (size_t i = 0; i < m->n_entries; i++) {
		const struct cr_image_entry *e = &m->entries[i];
		char type = e->type == CR_ENTRY_DIR ? 'd' : e->type == CR_ENTRY_SYMLINK ? 'l' : '-';
		printf("%c%04o %12" PRIu64 " %s%s%s\n", type, e->mode, e->size, e->path,
		       e->link_target ? " -> " : "", e->link_target ? e->link_target : "");
	}
}

static int run_reader(const struct image_args *a, struct cr_error *err)
{
	cleanup_close int fd = -1;
	if (strcmp(a->file, "-") != 0) {
		fd = open(a->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return cr_error_errno(err, "cannot open %s", a->file);
	}
	struct cr_image_io io = cr_image_io_fd(fd >= 0 ? fd : STDIN_FILENO);
	struct cr_image_keys keys = {.key_file = a->key_file,
				     .host_key_file = a->host_key,
				     .key_flag = "--key-file",
				     .host_key_flag = "--host-key"};
	cleanup_image_reader struct cr_image_reader *r = NULL;
	int ret = cr_image_reader_open(&io, &keys, &r, err);
	if (ret < 0)
		return cr_error_wrap(err, "%s", a->file);
	const struct cr_image_manifest *m = cr_image_reader_manifest(r);
	if (!strcmp(a->verb, "info")) {
		print_info(m);
		return 0;
	}
	if (!strcmp(a->verb, "ls")) {
		print_list(m);
		return 0;
	}
	if (!strcmp(a->verb, "extract")) {
		ret = cr_image_extract_all(r, a->dir, err);
		return ret < 0 ? cr_error_wrap(err, "%s", a->file) : 0;
	}
	struct cr_image_trailer t;
	ret = cr_image_verify(r, &t, err);
	if (ret < 0)
		return cr_error_wrap(err, "%s", a->file);
	printf("%s: OK: %" PRIu64 " entries, %" PRIu64 " bytes in %" PRIu64
	       " blocks, every block and the trailer checked\n",
	       a->file, t.entry_count, t.data_bytes, t.block_count);
	return 0;
}

static int run_create(const struct image_args *a, struct cr_error *err)
{
	struct cr_image_options opts = {.protection = CR_IMAGE_PLAIN};
	uint8_t pk[CR_HOSTKEY_BYTES];
	if (a->key_file) {
		opts.protection = CR_IMAGE_KEYFILE;
		opts.key_file = a->key_file;
	} else if (a->seal_to) {
		int r = cr_hostkey_load_public(a->seal_to, pk, err);
		if (r < 0)
			return r;
		opts.protection = CR_IMAGE_SEALED;
		opts.recipient_pk = pk;
	}
	bool to_stdout = !strcmp(a->file, "-");
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = -1;
	if (!to_stdout) {
		if (asprintf(&tmp, "%s.partial", a->file) < 0) {
			tmp = NULL;
			return cr_error_set(err, ENOMEM, "out of memory");
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return cr_error_errno(err, "cannot create %s", tmp);
	}
	struct cr_image_io io = cr_image_io_fd(to_stdout ? STDOUT_FILENO : fd);
	cleanup_image_writer struct cr_image_writer *w = NULL;
	int r = cr_image_writer_open(&io, &opts, NULL, &w, err);
	if (r == 0)
		r = cr_image_writer_add_dir_tree(w, NULL, a->dir, err);
	if (r == 0)
		r = cr_image_writer_finish(w, err);
	if (r == 0 && !to_stdout && (fsync(fd) < 0 || rename(tmp, a->file) < 0))
		r = cr_error_errno(err, "cannot write %s", a->file);
	if (r < 0 && !to_stdout)
		unlink(tmp);
	return r;
}

/* 0, or 2 after a usage error, or a negative errno with ERR set. */
static int parse(const char *usage, int argc, char **argv, struct image_args *a,
		 struct cr_error *err)
{
	static const struct option opts[] = {
		{"key-file", required_argument, NULL, 'k'},
		{"host-key", optional_argument, NULL, 'H'},
		{"seal-to", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:s:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->key_file = optarg;
			break;
		case 's':
			a->seal_to = optarg;
			break;
		case 'H':
			free(a->host_key);
			a->host_key = NULL;
			if (optarg && !(a->host_key = strdup(optarg)))
				return cr_error_set(err, ENOMEM, "out of memory");
			if (!optarg) {
				cleanup_free char *pub = NULL;
				int r = cr_hostkey_paths(&a->host_key, &pub, err);
				if (r < 0)
					return r;
			}
			break;
		default:
			return cli_usage_error("image", usage, "unknown option");
		}
	}
	int rest = argc - optind;
	if (rest < 2)
		return cli_usage_error("image", usage, "missing %s", rest ? "FILE" : "a verb");
	a->verb = argv[optind];
	a->file = argv[optind + 1];
	bool wants_dir = !strcmp(a->verb, "extract") || !strcmp(a->verb, "create");
	if (strcmp(a->verb, "info") && strcmp(a->verb, "ls") && strcmp(a->verb, "verify") &&
	    !wants_dir)
		return cli_usage_error("image", usage, "unknown verb '%s'", a->verb);
	if (rest != (wants_dir ? 3 : 2))
		return cli_usage_error("image", usage, "image %s takes %s", a->verb,
				       wants_dir ? "FILE DIR" : "FILE");
	if (a->key_file && a->seal_to)
		return cli_usage_error("image", usage, "--key-file and --seal-to exclude each other");
	a->dir = wants_dir ? argv[optind + 2] : NULL;
	return 0;
}

int cmd_image(const struct cli_verb *v, int argc, char **argv, struct cr_error *err)
{
	struct image_args a = {0};
	int r = parse(v->usage, argc, argv, &a, err);
	if (r == 0)
		r = !strcmp(a.verb, "create") ? run_create(&a, err) : run_reader(&a, err);
	free(a.host_key);
	return r;
}
