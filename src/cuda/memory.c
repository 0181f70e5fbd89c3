/* memory.c - the memory wrappers: every allocation is charged to the task's ledger before the
 * driver makes it (so that processes racing cannot overshoot together), recorded with its size
 * and device, and given back when it is freed; cuMemGetInfo and cuDeviceTotalMem see the cap. */
#include "internal.h"

#define REAL(name)  al__cuda.real.name
#define PITCH_ALIGN 512u

/* The calls a wrapper makes before its real work: the driver there, the entry point there. */
#define ENTER(name)                                                                                \
    do {                                                                                           \
        if (!al__cuda_ready() || !REAL(name))                                                      \
            return CUDA_ERROR_NOT_INITIALIZED;                                                     \
    } while (0)

/* The device's memory, from the real driver, once per process and device (0 = unknown). */
static uint64_t device_total(struct al__device_ledger *dl, int dev) {
    uint64_t total = __atomic_load_n(&dl->total, __ATOMIC_RELAXED);
    size_t bytes = 0;
    if (total == 0 && REAL(cuDeviceTotalMem_v2) &&
        REAL(cuDeviceTotalMem_v2)(&bytes, (CUdevice)dev) == CUDA_SUCCESS) {
        total = bytes;
        __atomic_store_n(&dl->total, total, __ATOMIC_RELAXED);
    }
    return total;
}

/* Dynamic fractions, after `bytes` were charged within the limit: beyond the request only while
 * the device's memory covers what every other task claims (its request, or what it uses above
 * it) and this task's new total. Else the charge is given back. The slow path: within the request
 * it is one atomic load. */
static int burst_check(int dev, uint64_t bytes) {
    struct al__device_ledger *dl = &al__cuda.devices[dev];
    uint64_t used = al__ledger_used(&al__cuda.ledger, dev);
    if (used <= al__cuda.cfg.request[dev])
        return 0;
    device_total(dl, dev);
    if (al__device_ledger_settle(dl, used, 1) == 0)
        return 0;
    al__ledger_credit(&al__cuda.ledger, dev, bytes);
    (void)al__device_ledger_settle(dl, al__ledger_used(&al__cuda.ledger, dev), 0);
    return -1;
}

/* Charges bytes on dev to the task: within its cap (its limit), and for a dynamic fraction beyond
 * its request only where the device has room (burst_check). 0, or -1 with nothing charged. */
static int charge(int dev, uint64_t bytes) {
    if (al__ledger_charge(&al__cuda.ledger, dev, bytes) != 0)
        return -1;
    if (!al__cuda.cfg.dynamic || dev < 0 || dev >= AL_CUDA_MAX_DEVICES)
        return 0;
    return burst_check(dev, bytes);
}

/* Gives bytes on dev back; a dynamic fraction coming down from above its request lowers its claim
 * on the device. */
static void credit(int dev, uint64_t bytes) {
    int dynamic = al__cuda.cfg.dynamic && dev >= 0 && dev < AL_CUDA_MAX_DEVICES;
    uint64_t before = dynamic ? al__ledger_used(&al__cuda.ledger, dev) : 0;
    al__ledger_credit(&al__cuda.ledger, dev, bytes);
    if (dynamic && before > al__cuda.cfg.request[dev])
        (void)al__device_ledger_settle(&al__cuda.devices[dev],
                                       al__ledger_used(&al__cuda.ledger, dev), 0);
}

/* Records a live allocation. Returns 0, or -1 when the table could not grow (the caller undoes
 * the allocation: an allocation we could not give back later must not stay). */
static int record(uint64_t key, int kind, uint64_t size, int dev) {
    struct al__sizemap_entry old;
    pthread_mutex_lock(&al__cuda.map_lock);
    int rc = al__sizemap_put(&al__cuda.map, key, kind, size, dev, &old);
    pthread_mutex_unlock(&al__cuda.map_lock);
    if (rc == 0 && old.kind) /* a free we never saw: that memory is gone */
        credit(old.dev, old.size);
    return rc;
}

/* Forgets a live allocation; *e is what it was. Returns 1, or 0 when it is not ours. */
static int forget(uint64_t key, int kind, struct al__sizemap_entry *e) {
    pthread_mutex_lock(&al__cuda.map_lock);
    int found = al__sizemap_take(&al__cuda.map, key, kind, e);
    pthread_mutex_unlock(&al__cuda.map_lock);
    return found;
}

static void put_back(const struct al__sizemap_entry *e) {
    struct al__sizemap_entry old;
    pthread_mutex_lock(&al__cuda.map_lock);
    (void)al__sizemap_put(&al__cuda.map, e->key, e->kind, e->size, e->dev, &old);
    pthread_mutex_unlock(&al__cuda.map_lock);
}

static CUresult over_limit(const char *what, uint64_t bytes, int dev) {
    al__cuda_log("%s of %llu bytes on device %d refused: %llu of %llu in use", what,
                 (unsigned long long)bytes, dev,
                 (unsigned long long)al__ledger_used(&al__cuda.ledger, dev),
                 (unsigned long long)al__cuda.ledger.limit[dev]);
    return CUDA_ERROR_OUT_OF_MEMORY;
}

/* Frees what the driver just allocated (when it cannot be recorded). */
static void undo(uint64_t key, int kind) {
    if (kind == AL_ALLOC_HANDLE)
        (void)REAL(cuMemRelease)(key);
    else if (kind == AL_ALLOC_ARRAY)
        (void)REAL(cuArrayDestroy)((CUarray)(uintptr_t)key);
    else
        (void)REAL(cuMemFree_v2)(key);
}

/* The common tail of the allocations: the real call (result r; key, when it succeeded, what
 * frees it) has been made with bytes reserved on dev. */
static CUresult settle(CUresult r, uint64_t key, int kind, uint64_t bytes, int dev) {
    if (r != CUDA_SUCCESS) {
        credit(dev, bytes);
        return r;
    }
    if (record(key, kind, bytes, dev) != 0) {
        undo(key, kind);
        credit(dev, bytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    return r;
}

/* Pointer allocations of the same shape; FN(args) makes the real call. */
#define ALLOC_PTR(what, dptr, bytes, call)                                                         \
    do {                                                                                           \
        if (!al__cuda.enforce)                                                                     \
            return call;                                                                           \
        int dev_ = al__cuda_current_device();                                                      \
        if (charge(dev_, bytes) != 0)                                                              \
            return over_limit(what, bytes, dev_);                                                  \
        CUresult r_ = call;                                                                        \
        return settle(r_, r_ == CUDA_SUCCESS ? *(dptr) : 0, AL_ALLOC_PTR, bytes, dev_);            \
    } while (0)

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) {
    ENTER(cuMemAlloc_v2);
    ALLOC_PTR("cuMemAlloc", dptr, bytes, REAL(cuMemAlloc_v2)(dptr, bytes));
}

CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytes, unsigned int flags) {
    ENTER(cuMemAllocManaged);
    ALLOC_PTR("cuMemAllocManaged", dptr, bytes, REAL(cuMemAllocManaged)(dptr, bytes, flags));
}

CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytes, CUstream s) {
    ENTER(cuMemAllocAsync);
    ALLOC_PTR("cuMemAllocAsync", dptr, bytes, REAL(cuMemAllocAsync)(dptr, bytes, s));
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytes, CUstream s) {
    ENTER(cuMemAllocAsync_ptsz);
    ALLOC_PTR("cuMemAllocAsync", dptr, bytes, REAL(cuMemAllocAsync_ptsz)(dptr, bytes, s));
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytes, CUmemoryPool p, CUstream s) {
    ENTER(cuMemAllocFromPoolAsync);
    ALLOC_PTR("cuMemAllocFromPoolAsync", dptr, bytes,
              REAL(cuMemAllocFromPoolAsync)(dptr, bytes, p, s));
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytes, CUmemoryPool p, CUstream s) {
    ENTER(cuMemAllocFromPoolAsync_ptsz);
    ALLOC_PTR("cuMemAllocFromPoolAsync", dptr, bytes,
              REAL(cuMemAllocFromPoolAsync_ptsz)(dptr, bytes, p, s));
}

/* The pitch is the driver's to choose: reserve the width rounded up to PITCH_ALIGN, then settle
 * on pitch x height once it is known. */
CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height,
                            unsigned int elem) {
    ENTER(cuMemAllocPitch_v2);
    if (!al__cuda.enforce)
        return REAL(cuMemAllocPitch_v2)(dptr, pitch, width, height, elem);
    if (width > SIZE_MAX - PITCH_ALIGN || (height && (width + PITCH_ALIGN) > SIZE_MAX / height))
        return CUDA_ERROR_INVALID_VALUE;
    uint64_t guess = (uint64_t)((width + PITCH_ALIGN - 1) / PITCH_ALIGN * PITCH_ALIGN) * height;
    int dev = al__cuda_current_device();
    if (charge(dev, guess) != 0)
        return over_limit("cuMemAllocPitch", guess, dev);
    CUresult r = REAL(cuMemAllocPitch_v2)(dptr, pitch, width, height, elem);
    if (r != CUDA_SUCCESS)
        return settle(r, 0, AL_ALLOC_PTR, guess, dev);
    uint64_t bytes = (uint64_t)*pitch * height;
    if (bytes > guess)
        al__ledger_force(&al__cuda.ledger, dev, bytes - guess);
    else if (bytes < guess)
        credit(dev, guess - bytes);
    return settle(r, *dptr, AL_ALLOC_PTR, bytes, dev);
}

/* Frees: forget first (so that the address, once the driver reuses it, is not ours to forget),
 * put back when the driver refuses. */
#define FREE(key, kind, call)                                                                      \
    do {                                                                                           \
        struct al__sizemap_entry e_;                                                               \
        if (!al__cuda.enforce || !forget(key, kind, &e_))                                          \
            return call;                                                                           \
        CUresult r_ = call;                                                                        \
        if (r_ == CUDA_SUCCESS)                                                                    \
            credit(e_.dev, e_.size);                                                               \
        else                                                                                       \
            put_back(&e_);                                                                         \
        return r_;                                                                                 \
    } while (0)

CUresult cuMemFree_v2(CUdeviceptr dptr) {
    ENTER(cuMemFree_v2);
    FREE(dptr, AL_ALLOC_PTR, REAL(cuMemFree_v2)(dptr));
}

CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s) {
    ENTER(cuMemFreeAsync);
    FREE(dptr, AL_ALLOC_PTR, REAL(cuMemFreeAsync)(dptr, s));
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s) {
    ENTER(cuMemFreeAsync_ptsz);
    FREE(dptr, AL_ALLOC_PTR, REAL(cuMemFreeAsync_ptsz)(dptr, s));
}

/* Virtual memory management: the physical allocation counts, on the device its properties name
 * (host-located allocations do not count); mapping it, once or many times, costs nothing more. */
CUresult cuMemCreate(CUmemGenericAllocationHandle *h, size_t bytes, const CUmemAllocationProp *prop,
                     unsigned long long flags) {
    ENTER(cuMemCreate);
    if (!al__cuda.enforce || !prop || prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE)
        return REAL(cuMemCreate)(h, bytes, prop, flags);
    int dev =
        prop->location.id >= 0 && prop->location.id < AL_CUDA_MAX_DEVICES ? prop->location.id : 0;
    if (charge(dev, bytes) != 0)
        return over_limit("cuMemCreate", bytes, dev);
    CUresult r = REAL(cuMemCreate)(h, bytes, prop, flags);
    return settle(r, r == CUDA_SUCCESS ? *h : 0, AL_ALLOC_HANDLE, bytes, dev);
}

CUresult cuMemRelease(CUmemGenericAllocationHandle h) {
    ENTER(cuMemRelease);
    FREE(h, AL_ALLOC_HANDLE, REAL(cuMemRelease)(h));
}

/* An array's bytes as its descriptor gives them (the driver's own padding is not seen). */
static uint64_t array_bytes(size_t w, size_t h, size_t d, int format, unsigned channels) {
    uint64_t elem;
    switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8:
        elem = 1;
        break;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF:
        elem = 2;
        break;
    default: /* 32-bit formats, and the newer ones counted as 4 bytes an element */
        elem = 4;
        break;
    }
    uint64_t n = (uint64_t)w * (h ? h : 1);
    n = d && n > UINT64_MAX / d ? UINT64_MAX : n * (d ? d : 1);
    uint64_t per = elem * (channels ? channels : 1);
    return n > UINT64_MAX / per ? UINT64_MAX : n * per;
}

static CUresult array_create(CUarray *a, uint64_t bytes, int three, const void *desc) {
    int dev = al__cuda_current_device();
    if (charge(dev, bytes) != 0)
        return over_limit("cuArrayCreate", bytes, dev);
    CUresult r = three ? REAL(cuArray3DCreate_v2)(a, desc) : REAL(cuArrayCreate_v2)(a, desc);
    return settle(r, r == CUDA_SUCCESS ? (uint64_t)(uintptr_t)*a : 0, AL_ALLOC_ARRAY, bytes, dev);
}

CUresult cuArrayCreate_v2(CUarray *a, const CUDA_ARRAY_DESCRIPTOR *d) {
    ENTER(cuArrayCreate_v2);
    if (!al__cuda.enforce || !d || !REAL(cuArrayDestroy))
        return REAL(cuArrayCreate_v2)(a, d);
    return array_create(a, array_bytes(d->Width, d->Height, 0, d->Format, d->NumChannels), 0, d);
}

CUresult cuArray3DCreate_v2(CUarray *a, const CUDA_ARRAY3D_DESCRIPTOR *d) {
    ENTER(cuArray3DCreate_v2);
    if (!al__cuda.enforce || !d || !REAL(cuArrayDestroy))
        return REAL(cuArray3DCreate_v2)(a, d);
    return array_create(a, array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels), 1,
                        d);
}

CUresult cuArrayDestroy(CUarray a) {
    ENTER(cuArrayDestroy);
    FREE((uint64_t)(uintptr_t)a, AL_ALLOC_ARRAY, REAL(cuArrayDestroy)(a));
}

/* What the task may still use: its cap, less what all its processes hold. */
CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes) {
    ENTER(cuMemGetInfo_v2);
    CUresult r = REAL(cuMemGetInfo_v2)(free_bytes, total_bytes);
    if (r != CUDA_SUCCESS || !al__cuda.enforce || !free_bytes || !total_bytes)
        return r;
    int dev = al__cuda_current_device();
    uint64_t limit = al__cuda.ledger.limit[dev], used = al__ledger_used(&al__cuda.ledger, dev);
    uint64_t left = limit > used ? limit - used : 0;
    if (al__cuda.cfg.dynamic) { /* above the request: only what the others' claims leave */
        struct al__device_ledger *dl = &al__cuda.devices[dev];
        uint64_t total = dl->shm ? device_total(dl, dev) : 0, others = 0;
        uint64_t room = al__cuda.cfg.request[dev];
        if (dl->shm && total > (others = al__device_ledger_others(dl)) && total - others > room)
            room = total - others;
        if (room < limit)
            left = room > used ? room - used : 0;
    }
    if (*total_bytes > limit)
        *total_bytes = (size_t)limit;
    if (*free_bytes > left)
        *free_bytes = (size_t)left;
    return r;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
    ENTER(cuDeviceTotalMem_v2);
    CUresult r = REAL(cuDeviceTotalMem_v2)(bytes, dev);
    if (r == CUDA_SUCCESS && al__cuda.enforce && bytes && dev >= 0 &&
        dev<AL_CUDA_MAX_DEVICES && * bytes> al__cuda.ledger.limit[dev])
        *bytes = (size_t)al__cuda.ledger.limit[dev];
    return r;
}
