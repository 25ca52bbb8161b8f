/* Runbooks (DESIGN §8, issue 5 §2): a named, ordered walk through presets
 * for one alert. A JSON file per runbook:
 *
 *   {"logdive_runbook": 1,
 *    "name": "inference-latency-spike",	same as the file name without .json
 *    "title": "Inference latency spike",
 *    "description": "First five minutes of a p99 latency page",	optional
 *    "alert": "p99 latency high on recommendation-model-prod",	optional
 *    "steps": [
 *      {"title": "Split by model_version",
 *       "note": "A recent deployment? ...",
 *       "preset": "latency-by-version",	a preset's name, or an inline
 *						preset object (preset.h; its
 *						logdive_preset and name optional)
 *       "look_for": "one version far slower"}]}	optional
 *
 * Found like presets (preset_dirs_default with kind "runbooks"): the user's
 * $XDG_CONFIG_HOME/logdive/runbooks/, each presets_path directory's
 * runbooks/, the shipped share/runbooks. No curses, no backend. */
#ifndef LD_RUNBOOK_H
#define LD_RUNBOOK_H
#include <stddef.h>
#include "queries/preset.h"

#define RUNBOOK_VERSION 1

struct runbook_step {
	char		*title;
	char		*note;
	char		*look_for;	/* NULL when absent */
	char		*preset_name;	/* the name it was given by, NULL if inline */
	struct preset	 preset;	/* resolved (a named one is loaded) */
};

struct runbook {
	char			*name;
	char			*title;
	char			*description;	/* "" when absent */
	char			*alert;		/* "" when absent */
	struct runbook_step	*steps;
	size_t			 nsteps;	/* >= 1 */
	char			*file;
	enum preset_origin	 origin;
};

/* Read a runbook file, resolving named presets through presets (NULL:
 * only inline presets allowed). Errors (LD_EUSAGE, rb left empty), one
 * line naming the file and the key, e.g. "FILE: steps[2].preset: no
 * preset named 'x' (logdive presets lists them)"; JSON syntax as
 * FILE:LINE:COL; a bad named preset's own message. Unknown keys are warned
 * about through w. Free with runbook_free. */
int	runbook_load_file(const char *path, enum preset_origin o,
	    const struct preset_dirs *presets, struct runbook *rb,
	    const struct ld_warn *w, struct ld_err *err);

/* The runbook named name: NAME.json in the first directory of d that has
 * one (as preset_find; LD_NOMATCH "no runbook named 'x' (logdive runbooks
 * lists them)"). */
int	runbook_find(const struct preset_dirs *d, const char *name,
	    const struct preset_dirs *presets, struct runbook *rb,
	    const struct ld_warn *w, struct ld_err *err);

/* Every runbook of d, shadowed ones left out, sorted by name (*out: the
 * caller's; runbook_free each, then free). Bad files are warned about and
 * skipped; returns how many were bad. */
size_t	runbook_list(const struct preset_dirs *d, const struct preset_dirs *presets,
	    struct runbook **out, size_t *n, const struct ld_warn *w);

void	runbook_free(struct runbook *rb);

#endif
