/*
 * fuzz_replay.c - main() of the plain (non-libFuzzer) build of a fuzz
 * harness: runs every file named, or every file in every directory named,
 * through LLVMFuzzerTestOneInput once.  ctest runs the replay builds over
 * tests/fuzz-corpus/ so that every input a fuzzer ever crashed on is
 * re-run by every test run, with gcc too.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one file through the harness; 0 when it could be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			uint8_t *p = realloc(data, cap);
			if (!p) {
				fclose(f);
				free(data);
				return 1;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0, files = 0;
	for (int a = 1; a < argc; a++) {
		struct stat st;
		if (stat(argv[a], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *dir = opendir(argv[a]);
			struct dirent *e;
			while (dir && (e = readdir(dir))) {
				if (e->d_name[0] == '.')
					continue;
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
				rc |= replay_file(path);
				files++;
			}
			if (dir)
				closedir(dir);
		} else {
			rc |= replay_file(argv[a]);
			files++;
		}
	}
	printf("replayed %d inputs\n", files);
	return rc;
}
