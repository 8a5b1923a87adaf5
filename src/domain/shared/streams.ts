/**
 * Stream names: category first (`customer-…`) so EventStoreDB's `$ce-` projections work, then the organization
 * and the aggregate id, each encoded so user text can never forge a separator.
 */
export function encodeId(id: string): string {
  return encodeURIComponent(id).replaceAll('-', '%2D').replaceAll('_', '%5F').replaceAll('.', '%2E');
}

export function streamName(category: string, organizationId: string, id?: string): string {
  return id === undefined ? `${category}-${encodeId(organizationId)}` : `${category}-${encodeId(organizationId)}_${encodeId(id)}`;
}
