import type { FhirModel } from './fhir-model.js';
import type { FhirBundle } from './patient-bundle.js';

interface ModelInfo {
  findClass(name: string): { name: string } | undefined;
}

/**
 * cql-exec-fhir's wrappers of resources, by resource JSON and class. A wrapper is a read-only view of
 * its JSON that remembers the elements it has read (fhir-model.ts), and building one defines a getter
 * for every element of its class: the most expensive step of a retrieve. The rules of one hook call, and
 * the artefacts and slices of one patient in a population run, are given the same resource objects, so
 * they share one wrapper each instead of building their own. Held weakly: gone with the JSON.
 */
const wrappers = new WeakMap<object, Map<unknown, unknown>>();

function wrapperOf(json: object, classInfo: unknown, wrap: () => unknown): unknown {
  let byClass = wrappers.get(json);
  if (byClass === undefined) {
    byClass = new Map();
    wrappers.set(json, byClass);
  }
  let wrapper = byClass.get(classInfo);
  if (wrapper === undefined) {
    wrapper = wrap();
    byClass.set(classInfo, wrapper);
  }
  return wrapper;
}

/**
 * A cql-exec-fhir compatible PatientSource over one patient's bundle whose retrieves are looked up in an
 * index by resource type built once, instead of scanning the whole bundle for every retrieve; wrapped
 * records are cached per type, since several expressions retrieve the same type. Profile tagging is not
 * required (UK GP data rarely carries meta.profile).
 */
export class IndexedPatientSource {
  private done = false;
  private readonly patient: object | undefined;

  constructor(bundle: FhirBundle, model: FhirModel) {
    const modelInfo = model.modelInfo as ModelInfo;
    const byType = new Map<string, unknown[]>();
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource === undefined) continue;
      const list = byType.get(resource.resourceType);
      if (list === undefined) byType.set(resource.resourceType, [resource]);
      else list.push(resource);
    }
    const wrapped = new Map<string, unknown[]>();
    const FhirObject = model.FhirObject;
    const findRecords = (profile: string, retrieveDetails?: { datatype?: string }) => {
      const classInfo = modelInfo.findClass(retrieveDetails?.datatype ?? profile);
      if (classInfo === undefined) return [];
      const resourceType = classInfo.name.replace(/^FHIR\./, '');
      let records = wrapped.get(resourceType);
      if (records === undefined) {
        records = (byType.get(resourceType) ?? []).map((json) =>
          wrapperOf(json as object, classInfo, () => new FhirObject(json, classInfo, model.modelInfo)),
        );
        wrapped.set(resourceType, records);
      }
      return records;
    };
    // The patient a context runs for: cql-execution asks it for records (`findRecords`) and nothing else
    // (CQL's `Patient` is a record like any other, retrieved). It is the Patient's shared wrapper (every
    // RecordObject method) with this source's `findRecords`, instead of a cql-exec-fhir Patient built for
    // every context, which defines a getter for each of the forty elements of Patient each time.
    const patientJson = byType.get('Patient')?.[0];
    const patientClass = modelInfo.findClass('Patient');
    this.patient =
      patientJson === undefined || patientClass === undefined
        ? undefined
        : (Object.create(
            wrapperOf(
              patientJson as object,
              patientClass,
              () => new FhirObject(patientJson, patientClass, model.modelInfo),
            ) as object,
            { findRecords: { value: findRecords, enumerable: false } },
          ) as object);
  }

  currentPatient(): unknown {
    return this.done ? undefined : this.patient;
  }

  nextPatient(): unknown {
    this.done = true;
    return undefined;
  }
}
