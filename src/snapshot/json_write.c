/* json_write.c - builders for writing JSON with jansson (see json_write.h). */
#include "snapshot/json_write.h"

int al__put(json_t *obj, const char *key, json_t *v) {
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v) < 0 ? -1 : 0;
}

int al__push(json_t *array, json_t *v) {
    if (!v)
        return -1;
    return json_array_append_new(array, v) < 0 ? -1 : 0;
}

json_t *al__finish(json_t *v, int rc) {
    if (rc < 0) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *al__gpus_json(int64_t milli) {
    if (milli == AL_UNLIMITED || milli % 1000 == 0)
        return json_integer(milli == AL_UNLIMITED ? -1 : milli / 1000);
    return json_real((double)milli / 1000.0);
}

json_t *al__amounts_json(const int64_t v[AL_RESOURCE_COUNT]) {
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    rc |= al__put(o, "gpu", al__gpus_json(v[AL_GPU]));
    rc |= al__put(o, "cpu_millis", json_integer(v[AL_CPU]));
    rc |= al__put(o, "memory_bytes", json_integer(v[AL_MEMORY]));
    return al__finish(o, rc);
}
