/*
 * preloadLink(list): applies to a running xsnap machine what the Moddable XS linker (xsl) does to the heap of
 * the preloaded modules before it writes that heap to flash, so that `npm test` meets on xsnap the errors the
 * device meets. Compiled into the device-sized worker by test/xs/device-worker.ts; used by test/xs/preload.ts.
 *
 * The rules, as the SDK 8.2.3 linker applies them when a manifest preloads modules (its freeze flag is then
 * on): xs/tools/xsl.c (fxFreezeBuiltIns) and xs/tools/xslSlot.c (fxPrepareHeap, fxPrepareInstance,
 * fxPetrifyInstance); documentation/xs/preload.md says the same in prose. Every object alive at link time is
 * in flash on the device:
 *   1. Built-in prototypes and namespace objects (Math, JSON, Reflect, Atomics, the iterator prototypes …) are
 *      frozen.
 *   2. Every function is frozen (no new property, every property read-only), and so is the `prototype` object
 *      of every constructor: a class's methods cannot be replaced or added to afterwards. So is every scope
 *      (closure environment), and every instance of Map, Set, WeakMap, WeakSet, WeakRef, FinalizationRegistry,
 *      ArrayBuffer, DataView, typed array, Promise (and its reactions), Proxy and RegExp.
 *   3. Every instance that is now frozen (by rule 2, or because the module froze it) is "petrified": the
 *      internal table of a Map, Set, WeakMap or WeakSet, the bytes of an ArrayBuffer, the time of a Date and a
 *      RegExp become read-only, and so do private fields. `map.set(…)` then throws "read-only Map instance",
 *      writing into a Uint8Array made at load throws "read-only buffer".
 *   4. A module variable (a closure) that holds a function becomes constant; any other `let` stays writable
 *      (on the device XS keeps its new value in RAM, through an alias). Ordinary objects and arrays stay
 *      writable likewise.
 * What this host function does not do, and test/xs/preload.ts does around it: an object in flash cannot be a
 * WeakMap key or a WeakSet value on the device ("key: read-only"). The function appends every instance alive
 * at link time to `list`, which preload.ts keeps for good (objects in flash are never collected either, so no
 * slot of theirs is reused), and remembers their addresses: preloadInFlash(value) says whether a value is one.
 */
#include "xsAll.h"
#include <stdlib.h>

static txBoolean isFunctionInternal(txSlot* internal)
{
	return internal && (internal->flag & XS_INTERNAL_FLAG) && ((internal->kind == XS_CALLBACK_KIND) || (internal->kind == XS_CALLBACK_X_KIND)
		|| (internal->kind == XS_CODE_KIND) || (internal->kind == XS_CODE_X_KIND));
}

/* Rule 2's freeze: no property may be set (accessors keep their functions) or deleted, none added. */
static void freezeInstance(txSlot* instance)
{
	txSlot* property;
	for (property = instance->next; property; property = property->next) {
		if (property->kind != XS_ACCESSOR_KIND)
			property->flag |= XS_DONT_SET_FLAG;
		property->flag |= XS_DONT_DELETE_FLAG;
	}
	instance->flag |= XS_DONT_PATCH_FLAG;
}

static void freezeReference(txSlot* slot)
{
	if (slot->kind == XS_REFERENCE_KIND)
		freezeInstance(slot->value.reference);
}

/* Rule 1. */
static void freezeBuiltIns(txMachine* the)
{
	txSlot* intrinsics[] = {
		&mxAtomicsObject, &mxJSONObject, &mxMathObject, &mxReflectObject,
		&mxAggregateErrorPrototype, &mxArgumentsSloppyPrototype, &mxArgumentsStrictPrototype, &mxArrayBufferPrototype,
		&mxArrayIteratorPrototype, &mxArrayPrototype, &mxAsyncFromSyncIteratorPrototype, &mxAsyncFunctionPrototype,
		&mxAsyncGeneratorFunctionPrototype, &mxAsyncGeneratorPrototype, &mxAsyncIteratorPrototype, &mxBigIntPrototype,
		&mxBooleanPrototype, &mxCompartmentPrototype, &mxDataViewPrototype, &mxDatePrototype, &mxErrorPrototype,
		&mxEvalErrorPrototype, &mxFinalizationRegistryPrototype, &mxFunctionPrototype, &mxGeneratorFunctionPrototype,
		&mxGeneratorPrototype, &mxHostPrototype, &mxIteratorPrototype, &mxMapIteratorPrototype, &mxMapPrototype,
		&mxModulePrototype, &mxNumberPrototype, &mxObjectPrototype, &mxPromisePrototype, &mxProxyPrototype,
		&mxRangeErrorPrototype, &mxReferenceErrorPrototype, &mxRegExpPrototype, &mxRegExpStringIteratorPrototype,
		&mxSetIteratorPrototype, &mxSetPrototype, &mxSharedArrayBufferPrototype, &mxStringIteratorPrototype,
		&mxStringPrototype, &mxSymbolPrototype, &mxSyntaxErrorPrototype, &mxTransferPrototype, &mxTypedArrayPrototype,
		&mxTypeErrorPrototype, &mxURIErrorPrototype, &mxWeakMapPrototype, &mxWeakRefPrototype, &mxWeakSetPrototype,
	};
	size_t i;
	for (i = 0; i < sizeof(intrinsics) / sizeof(intrinsics[0]); i++)
		freezeReference(intrinsics[i]);
	/* The typed array constructors' prototypes are frozen by rule 2 (they are constructors). */
}

/* Rule 2: which instances are frozen besides the built-ins. */
static void freezeByKind(txMachine* the, txSlot* instance)
{
	txSlot* internal = instance->next;
	if (!internal || !(internal->flag & XS_INTERNAL_FLAG))
		return;
	if (internal->ID == XS_ENVIRONMENT_BEHAVIOR) {
		freezeInstance(instance);
		return;
	}
	if (isFunctionInternal(internal)) {
		freezeInstance(instance);
		if (instance->flag & XS_CAN_CONSTRUCT_FLAG) {
			txSlot* property;
			for (property = internal->next; property; property = property->next) {
				if ((property->ID == mxID(_prototype)) && (property->kind == XS_REFERENCE_KIND)) {
					freezeInstance(property->value.reference);
					break;
				}
			}
		}
		return;
	}
	switch (internal->kind) {
	case XS_MAP_KIND: case XS_SET_KIND: case XS_WEAK_MAP_KIND: case XS_WEAK_SET_KIND: case XS_WEAK_REF_KIND:
	case XS_ARRAY_BUFFER_KIND: case XS_DATA_VIEW_KIND: case XS_TYPED_ARRAY_KIND: case XS_PROXY_KIND: case XS_REGEXP_KIND:
		freezeInstance(instance);
		break;
	case XS_PROMISE_KIND:
		freezeInstance(instance);
		if (internal->next && (internal->next->kind == XS_REFERENCE_KIND))
			freezeInstance(internal->next->value.reference); /* its reactions */
		break;
	case XS_CLOSURE_KIND:
		if (internal->value.closure && (internal->value.closure->kind == XS_FINALIZATION_REGISTRY_KIND))
			freezeInstance(instance);
		break;
	}
}

static txBoolean isFrozen(txMachine* the, txSlot* instance)
{
	txSlot* property = instance->next;
	if (!(instance->flag & XS_DONT_PATCH_FLAG))
		return 0;
	for (; property && (property->flag & XS_INTERNAL_FLAG); property = property->next) {
		if (property->kind == XS_ARRAY_KIND) {
			txSlot* item = property->value.array.address;
			txIndex length = item ? (txIndex)fxGetIndexSize(the, property) : 0;
			for (; length > 0; length--, item++) {
				if ((item->kind != XS_ACCESSOR_KIND) && !(item->flag & XS_DONT_SET_FLAG))
					return 0;
				if (!(item->flag & XS_DONT_DELETE_FLAG))
					return 0;
			}
		}
	}
	for (; property; property = property->next) {
		if ((property->kind != XS_ACCESSOR_KIND) && !(property->flag & XS_DONT_SET_FLAG))
			return 0;
		if (!(property->flag & XS_DONT_DELETE_FLAG))
			return 0;
	}
	return 1;
}

/* Rule 3. */
static void petrify(txSlot* instance)
{
	txSlot* property;
	for (property = instance->next; property && (property->flag & XS_INTERNAL_FLAG); property = property->next) {
		switch (property->kind) {
		case XS_ARRAY_BUFFER_KIND: case XS_DATE_KIND: case XS_MAP_KIND: case XS_REGEXP_KIND: case XS_SET_KIND:
		case XS_WEAK_MAP_KIND: case XS_WEAK_SET_KIND:
			property->flag |= XS_DONT_SET_FLAG;
			break;
		case XS_PRIVATE_KIND: {
			txSlot* field;
			for (field = property->value.private.first; field; field = field->next) {
				if (field->kind != XS_ACCESSOR_KIND)
					field->flag |= XS_DONT_SET_FLAG;
				field->flag |= XS_DONT_DELETE_FLAG;
			}
			break;
		}
		}
	}
}

/* Rule 4: the environment's slot stays writable unless the variable it points to is constant. */
static void settleClosure(txSlot* slot)
{
	txSlot* variable = slot->value.closure;
	if (!variable)
		return;
	if (variable->kind == XS_REFERENCE_KIND) {
		if (isFunctionInternal(variable->value.reference->next))
			variable->flag |= XS_DONT_SET_FLAG;
	}
#ifdef mxHostFunctionPrimitive
	else if (variable->kind == XS_HOST_FUNCTION_KIND)
		variable->flag |= XS_DONT_SET_FLAG;
#endif
	if (!(variable->flag & XS_DONT_SET_FLAG))
		slot->flag &= ~XS_DONT_SET_FLAG;
}

typedef void (*txHeapVisitor)(txMachine* the, txSlot* slot, void* context);

/* Calls `visit` on every slot in use (the free list is marked first, as the linker does, and unmarked after). */
static void walkHeap(txMachine* the, txHeapVisitor visit, void* context)
{
	txSlot *heap, *slot, *limit;
	for (slot = the->freeHeap; slot; slot = slot->next)
		slot->flag |= XS_MARK_FLAG;
	for (heap = the->firstHeap; heap; heap = heap->next) {
		limit = heap->value.reference;
		for (slot = heap + 1; slot < limit; slot++)
			if (!(slot->flag & XS_MARK_FLAG))
				visit(the, slot, context);
	}
	for (slot = the->freeHeap; slot; slot = slot->next)
		slot->flag &= ~XS_MARK_FLAG;
}

static void visitFreeze(txMachine* the, txSlot* slot, void* context)
{
	if (slot->kind == XS_INSTANCE_KIND)
		freezeByKind(the, slot);
}

typedef struct { txSlot** items; size_t count; size_t size; } txInstanceList;

static void visitPetrify(txMachine* the, txSlot* slot, void* context)
{
	txInstanceList* list = context;
	if (slot->kind != XS_INSTANCE_KIND)
		return;
	if (isFrozen(the, slot))
		petrify(slot);
	if (list->count == list->size) {
		list->size = list->size ? 2 * list->size : 4096;
		list->items = realloc(list->items, list->size * sizeof(txSlot*));
		if (!list->items)
			fxAbort(the, XS_NOT_ENOUGH_MEMORY_EXIT);
	}
	/* Scopes are no JavaScript values: they cannot reach a WeakMap. */
	if (!(slot->next && (slot->next->flag & XS_INTERNAL_FLAG) && (slot->next->ID == XS_ENVIRONMENT_BEHAVIOR)))
		list->items[list->count++] = slot;
}

static void visitClosure(txMachine* the, txSlot* slot, void* context)
{
	if (slot->kind == XS_CLOSURE_KIND)
		settleClosure(slot);
}

/* The instances alive at link time, sorted by address, for preloadInFlash. One machine per worker process. */
static txSlot** gInFlash = NULL;
static size_t gInFlashCount = 0;

static int compareAddresses(const void* a, const void* b)
{
	txSlot* x = *(txSlot* const*)a;
	txSlot* y = *(txSlot* const*)b;
	return (x < y) ? -1 : (x > y) ? 1 : 0;
}

void xs_preloadInFlash(txMachine* the)
{
	txSlot* instance;
	mxResult->kind = XS_BOOLEAN_KIND;
	mxResult->value.boolean = 0;
	if ((mxArgc < 1) || (mxArgv(0)->kind != XS_REFERENCE_KIND) || !gInFlash)
		return;
	instance = mxArgv(0)->value.reference;
	mxResult->value.boolean = bsearch(&instance, gInFlash, gInFlashCount, sizeof(txSlot*), compareAddresses) ? 1 : 0;
}

void xs_preloadLink(txMachine* the)
{
	txInstanceList list = { NULL, 0, 0 };
	size_t i;
	if ((mxArgc < 1) || (mxArgv(0)->kind != XS_REFERENCE_KIND) || !fxIsArray(the, mxArgv(0)->value.reference)
			|| (mxArgv(0)->value.reference->next->value.array.length != 0))
		mxTypeError("preloadLink(list): list is not an empty array");
	/* What is garbage now would not be in flash: collect it first. */
	fxCollectGarbage(the);
	freezeBuiltIns(the);
	walkHeap(the, visitFreeze, NULL);
	walkHeap(the, visitPetrify, &list);
	walkHeap(the, visitClosure, NULL);
	/* No collection while the list is filled: the pointers gathered above must stay valid. */
	fxEnableGarbageCollection(the, 0);
	mxPushSlot(mxArgv(0));
	fxArrayCacheBegin(the, the->stack);
	for (i = 0; i < list.count; i++) {
		mxPushReference(list.items[i]);
		fxArrayCacheItem(the, the->stack + 1, the->stack);
		mxPop();
	}
	fxArrayCacheEnd(the, the->stack);
	mxPop();
	fxEnableGarbageCollection(the, 1);
	qsort(list.items, list.count, sizeof(txSlot*), compareAddresses);
	free(gInFlash);
	gInFlash = list.items;
	gInFlashCount = list.count;
	mxResult->kind = XS_INTEGER_KIND;
	mxResult->value.integer = (txInteger)list.count;
}

/* The stack's own bottom, kept while limitStack has moved it: the machine frees that pointer at its end. */
static txSlot* gStackBottom = NULL;

/*
 * limitStack(slots): from now on the machine has `slots` stack slots, as if created with that many: the
 * stack's bottom is moved up to that distance from its top. The device's modules are loaded on the build
 * machine (preload), where the device's stack does not bound them; its sessions run on that stack. So the
 * harness loads the bundle on xsnap's stack, links it, then limits the stack. Loading the bundle as one
 * script takes a stack slot per top-level binding of the whole agent, which no device ever spends.
 * limitStack() without an argument gives the stack back its own bottom, which the machine must have when it
 * is deleted.
 */
void xs_limitStack(txMachine* the)
{
	txInteger slots;
	mxResult->kind = XS_UNDEFINED_KIND;
	if (gStackBottom == NULL)
		gStackBottom = the->stackBottom;
	if (mxArgc < 1) {
		the->stackBottom = gStackBottom;
		return;
	}
	if (mxArgv(0)->kind != XS_INTEGER_KIND)
		mxTypeError("limitStack(slots): slots is not an integer");
	slots = mxArgv(0)->value.integer;
	if ((slots <= 0) || (slots > (the->stackTop - gStackBottom)))
		mxRangeError("limitStack(%ld): not between 1 and the stack's %ld slots", (long)slots, (long)(the->stackTop - gStackBottom));
	if (the->stack < the->stackTop - slots)
		mxRangeError("limitStack(%ld): %ld slots are in use already", (long)slots, (long)(the->stackTop - the->stack));
	the->stackBottom = the->stackTop - slots;
}
