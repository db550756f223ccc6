/* fuzz_job_toml.c - libFuzzer target for the job file: TOML parse
 * (config/toml_shim.cpp over toml++), schema checks and the job's
 * cross-key validation (config/job_config.c), then the [run] options'
 * conversion and checks (jobs/job_opts.c).
 *
 * Input: the job text (cut at the first NUL). A job must load, or fail with
 * a one-line AR_E_CONFIG-style error naming "fuzz.toml"; a loaded job gives
 * a line for every schema key and [run] options that pass their checks or
 * are refused the same way. Never a crash, leak or sanitizer report.
 */
#include "config/job_config.h"
#include "fuzz_util.h"
#include "jobs/job_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ar_job_config_t job;
    ar_err_t e = {0};
    if (ar_job_load_string(text, "fuzz.toml", &job, &e)) {
        fz_check_refusal(&e, "fuzz.toml");
        free(text);
        return 0;
    }
    int n = 0;
    const ar_key_spec_t *keys = ar_job_schema(&n);
    for (int i = 0; i < n; i++)
        if (ar_job_key_line(&job, keys[i].key) < 0) abort();
    ar_run_opts_t o;
    if (ar_job_run_opts(&job, &o, &e)) fz_check_refusal(&e, "fuzz.toml");
    ar_job_free(&job);
    ar_job_free(&job); /* safe twice */
    free(text);
    return 0;
}
