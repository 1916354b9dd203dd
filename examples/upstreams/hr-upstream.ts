import { asciiSlug, DEPARTMENTS, headOf, monthlyGross, ONBOARDING_TASKS, roundMoney, type Employee, type OnboardingChecklist, type SeedData } from './seed-data.js';
import { created, createRouter, dateParam, fail, now, ok, requiredString, type RequestHandler } from './upstream-http.js';

/** What HR hands out; the onboarding role may only assign the first three. */
const EQUIPMENT = ['laptop', 'badge', 'phone', 'monitor', 'headset', 'company-car'];

/** HR of examples/apis/hr.yaml under /hr: employee records, equipment, onboarding, payroll. */
export function createHrUpstream(seed: SeedData): RequestHandler {
  const employees = new Map(seed.employees.map((employee) => [employee.id, employee]));
  const checklists = new Map(seed.checklists.map((checklist) => [checklist.employeeId, checklist]));
  let equipmentCount = seed.employees.reduce((sum, { equipment }) => sum + equipment.length, 0);

  const employee = (id: string): Employee => employees.get(id) ?? fail(404, `no employee ${id}`);
  const checklist = (id: string): OnboardingChecklist => checklists.get(employee(id).id) ?? fail(404, `no onboarding checklist for ${id}`);

  return createRouter([
    {
      method: 'GET',
      path: '/hr/employees/{employeeId}',
      handle: ({ param }) => ok(employee(param('employeeId'))),
    },
    {
      method: 'POST',
      path: '/hr/employees',
      handle: ({ body }) => {
        const name = requiredString(body, 'name');
        const startDate = dateParam(body?.startDate, 'startDate', true);
        const department = requiredString(body, 'department');
        const manager = headOf(department) ?? fail(400, `unknown department "${department}"; known: ${DEPARTMENTS.join(', ')}`);
        const number = employees.size + 1;
        const id = `E-${number}`;
        const hire: Employee = {
          id,
          name,
          email: `${asciiSlug(name)}${number}@acme.example`,
          personalEmail: null,
          phone: null,
          dateOfBirth: null,
          nationalId: null,
          homeAddress: null,
          iban: null,
          department,
          title: 'New hire',
          manager,
          startDate,
          salary: null,
          equipment: [],
        };
        employees.set(id, hire);
        checklists.set(id, { employeeId: id, tasks: ONBOARDING_TASKS.map(([taskId, title]) => ({ id: taskId, title, done: false, completedAt: null })) });
        return created(hire);
      },
    },
    {
      method: 'POST',
      path: '/hr/employees/{employeeId}/equipment',
      handle: ({ param, body }) => {
        const current = employee(param('employeeId'));
        const item = requiredString(body, 'item');
        if (!EQUIPMENT.includes(item)) fail(400, `unknown item "${item}"; known: ${EQUIPMENT.join(', ')}`);
        const number = ++equipmentCount;
        const assignment = { id: `EQ-${number}`, item, serialNumber: `${item.slice(0, 2).toUpperCase()}-${String(number).padStart(8, '0')}`, assignedAt: now() };
        employees.set(current.id, { ...current, equipment: [...current.equipment, assignment] });
        return created({ employeeId: current.id, ...assignment });
      },
    },
    {
      method: 'GET',
      path: '/hr/onboarding/{employeeId}/checklist',
      handle: ({ param }) => {
        const { employeeId, tasks } = checklist(param('employeeId'));
        return ok({ employeeId, done: tasks.filter(({ done }) => done).length, total: tasks.length, tasks });
      },
    },
    {
      method: 'POST',
      path: '/hr/onboarding/{employeeId}/tasks/{taskId}/complete',
      handle: ({ param }) => {
        const current = checklist(param('employeeId'));
        const taskId = param('taskId');
        const task = current.tasks.find(({ id }) => id === taskId) ?? fail(404, `no onboarding task "${taskId}"; tasks: ${current.tasks.map(({ id }) => id).join(', ')}`);
        // Completing a done task again is harmless and keeps the first completion time.
        const completed = task.done ? task : { ...task, done: true, completedAt: now() };
        checklists.set(current.employeeId, { ...current, tasks: current.tasks.map((each) => (each.id === taskId ? completed : each)) });
        return ok({ employeeId: current.employeeId, task: completed });
      },
    },
    {
      method: 'GET',
      path: '/hr/payroll',
      handle: ({ query }) => {
        const month = query.get('month');
        if (month === null || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) fail(400, 'query parameter "month" is required, as YYYY-MM');
        const [year, monthNumber] = month.split('-').map(Number) as [number, number];
        const lastDay = new Date(Date.UTC(year, monthNumber, 0)).toISOString().slice(0, 10);
        const paid = [...employees.values()].filter((each) => each.salary !== null && each.startDate <= lastDay);
        const lines = paid.map((each) => ({ employeeId: each.id, name: each.name, department: each.department, iban: each.iban, grossPay: monthlyGross(each) }));
        return ok({ month, currency: 'EUR', headcount: lines.length, total: roundMoney(lines.reduce((sum, { grossPay }) => sum + grossPay, 0)), employees: lines });
      },
    },
  ]);
}
