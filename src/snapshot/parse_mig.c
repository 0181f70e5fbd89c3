/* parse_mig.c - a node's or a task's "mig" member: MIG instances by profile ({"1g.10gb": 2}). */
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

#define MAX_MIG_COUNT 4096 /* instances of one profile: 7 per device, 512 devices */

static int profile_cmp(const void *a, const void *b) {
    return strcmp(((const struct al_mig *)a)->profile, ((const struct al_mig *)b)->profile);
}

int al__parse_migs(const struct al__json *obj, const char *path, struct al_mig **out, size_t *count,
                   struct al_snapshot_error *err) {
    const struct al__json *migs;
    char mpath[AL__PATH_SIZE], epath[AL__PATH_SIZE];

    if (al__member_object(obj, path, "mig", false, &migs, err) < 0)
        return -AL_EINVAL;
    if (!migs || migs->count == 0)
        return 0;
    al__path_key(mpath, path, "mig");
    if (migs->count > 64)
        return al__fail(err, mpath, "at most 64 MIG profiles");
    *out = calloc(migs->count, sizeof(**out));
    if (!*out)
        return al__fail_nomem(err, mpath);
    for (size_t i = 0; i < migs->count; i++) {
        const struct al__json_member *m = &migs->u.members[i];
        int64_t n;
        al__path_key(epath, mpath, m->key);
        if (al_mig_profile_gpus(m->key) < 0)
            return al__fail(err, epath,
                            "not a MIG profile: give <G>g.<M>gb, G 1-7 compute slices and M GB "
                            "(1g.10gb, 3g.40gb)");
        if (al__read_int(&m->value, epath, 1, MAX_MIG_COUNT, &n, err) < 0)
            return -AL_EINVAL;
        if (al__dup(&(*out)[i].profile, m->key, epath, err) < 0)
            return -AL_ENOMEM;
        (*out)[i].count = (int32_t)n;
        (*count)++;
    }
    qsort(*out, *count, sizeof(**out), profile_cmp);
    return 0;
}
